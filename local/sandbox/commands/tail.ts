import type { CommandSpec } from '../command-registry.js';

/**
 * `tail -n N FILE` over the appliance's file map (the form ghes-ops runs: the end of a log, of a
 * detached command's output file). A missing file is GNU tail's message and exit 1.
 */
export const tail: CommandSpec = {
  name: 'tail',
  description: 'tail -n N FILE: the last N lines of a file (default 10).',
  run(ctx) {
    const args = [...ctx.args];
    let n = 10;
    const at = args.indexOf('-n');
    if (at >= 0) {
      const value = args[at + 1] ?? '';
      if (!/^\d+$/.test(value)) {
        ctx.printErr(`tail: invalid number of lines: '${value}'`);
        return 1;
      }
      n = Number(value);
      args.splice(at, 2);
    }
    const [file] = args;
    if (file === undefined || args.length !== 1) {
      ctx.printErr('tail: the sandbox runs tail -n N FILE with one file');
      return 1;
    }
    const entry = ctx.node.files.get(file);
    if (!entry) {
      ctx.printErr(`tail: cannot open '${file}' for reading: No such file or directory`);
      return 1;
    }
    if (entry.content === '' || n === 0) return 0;
    const lines = entry.content.replace(/\n$/, '').split('\n');
    ctx.write(`${lines.slice(-n).join('\n')}${entry.content.endsWith('\n') ? '\n' : ''}`);
    return 0;
  },
};
