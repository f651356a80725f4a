import type { CommandSpec } from '../command-registry.js';

/**
 * `ghe-version`: the installed release. The exact wording is not in the reference (only that the
 * command reports the version): this line is plausible, and ghes-ops reads only the first
 * `major.minor.patch` in it (shared/failover/version.ts), so a different wording still parses.
 */
export const gheVersion: CommandSpec = {
  name: 'ghe-version',
  description: 'Print the installed GHES version (GitHub Enterprise Server 3.17.2).',
  run(ctx) {
    if (ctx.args.length > 0) {
      ctx.printErr('Usage: ghe-version');
      return 1;
    }
    ctx.print(`GitHub Enterprise Server ${ctx.node.version}`);
    return 0;
  },
};
