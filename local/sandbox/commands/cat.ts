import type { CommandSpec } from '../command-registry.js';

/** GNU cat over the appliance's file map: no options, files in order, `-` or no file reads stdin. */
export const cat: CommandSpec = {
  name: 'cat',
  description: 'Print files of the appliance file map (missing file: exit 1).',
  run(ctx) {
    const files = ctx.args.length === 0 ? ['-'] : ctx.args;
    let code = 0;
    for (const path of files) {
      if (path === '-') {
        ctx.write(ctx.stdin ?? '');
        continue;
      }
      if (path.startsWith('-')) {
        ctx.printErr(
          `cat: invalid option -- '${path.slice(1, 2)}'`,
          "Try 'cat --help' for more information.",
        );
        return 1;
      }
      const entry = ctx.node.files.get(path);
      if (entry) {
        ctx.write(entry.content);
        continue;
      }
      const dir = path.endsWith('/') ? path : `${path}/`;
      const isDir = [...ctx.node.files.keys()].some((p) => p.startsWith(dir)) || path === '/';
      ctx.printErr(`cat: ${path}: ${isDir ? 'Is a directory' : 'No such file or directory'}`);
      code = 1;
    }
    return code;
  },
};
