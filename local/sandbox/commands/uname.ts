import type { CommandSpec } from '../command-registry.js';
import { getopts, hasFlag } from '../getopts.js';

const KERNEL_RELEASE = '5.10.0-33-cloud-amd64';
const KERNEL_VERSION = '#1 SMP Debian 5.10.226-1 (2024-10-03)';

/** GNU uname: -s (default), -n, -r, -v, -m, -o, -a. */
export const uname: CommandSpec = {
  name: 'uname',
  description: 'System information; uname -m prints x86_64.',
  run(ctx) {
    const opts = getopts(ctx.program, ctx.args, 'asnrvmo');
    if (opts.error || opts.operands.length > 0) {
      const bad = opts.error ? (opts.error.split('-- ')[1] ?? '') : '';
      ctx.printErr(
        opts.error ? `uname: invalid option -- '${bad}'` : `uname: extra operand '${opts.operands[0]}'`,
        "Try 'uname --help' for more information.",
      );
      return 1;
    }
    const all = hasFlag(opts, 'a');
    const want = (f: string): boolean => all || hasFlag(opts, f);
    const fields: string[] = [];
    if (want('s') || opts.options.length === 0) fields.push('Linux');
    if (want('n')) fields.push(ctx.node.name);
    if (want('r')) fields.push(KERNEL_RELEASE);
    if (want('v')) fields.push(KERNEL_VERSION);
    if (want('m')) fields.push(ctx.node.arch);
    if (want('o')) fields.push('GNU/Linux');
    ctx.print(fields.join(' '));
    return 0;
  },
};
