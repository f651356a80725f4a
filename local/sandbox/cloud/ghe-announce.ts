import type { CommandSpec } from '../command-registry.js';
import { getopts, optionValue } from '../getopts.js';

const ANNOUNCEMENT_FILE = '/data/user/common/announcement';

/** `ghe-announce -s MESSAGE` sets the banner shown on every page, `-u` removes it (failover hooks use it). */
export const gheAnnounce: CommandSpec = {
  name: 'ghe-announce',
  description: 'Set (-s MESSAGE) or unset (-u) the global announcement banner.',
  run(ctx) {
    const opts = getopts(ctx.program, ctx.args, 's:u');
    const message = optionValue(opts, 's');
    const unset = opts.options.some((o) => o.flag === 'u');
    if (opts.error || opts.operands.length > 0 || (message === null) === !unset) {
      ctx.printErr(opts.error ?? 'Usage: ghe-announce -s MESSAGE | -u');
      return 1;
    }
    if (unset) {
      ctx.node.files.delete(ANNOUNCEMENT_FILE);
      ctx.print('Removed the announcement banner.');
    } else {
      ctx.node.files.set(ANNOUNCEMENT_FILE, {
        content: `${message}\n`,
        size: Buffer.byteLength(`${message}\n`),
      });
      ctx.print(`Announcement set: ${message}`);
    }
    return 0;
  },
};
