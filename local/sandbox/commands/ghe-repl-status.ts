import type { CommandSpec } from '../command-registry.js';
import { commandOptions, countFlag } from '../getopts.js';
import { replStatusExitCode, type ReplicationChannel } from '../replication-channels.js';

const USAGE = `Usage: ghe-repl-status [-h] [-v|-vv]
Show the replication status of each datastore. Run on a replica.

  -v    Show details for each datastore
  -vv   Show more details
  -h    Show this message

Exit status: 0 all OK, 1 any WARNING or replication not running, 2 any CRITICAL.`;

/** `STATUS: summary` lines; under -v/-vv each followed by `  | detail` lines, blocks separated by a blank line. */
export function renderReplStatus(channels: readonly ReplicationChannel[], verbosity: 0 | 1 | 2): string {
  if (channels.length === 0) return '';
  if (verbosity === 0) return channels.map((c) => `${c.status}: ${c.summary}\n`).join('');
  return (
    channels
      .map((c) =>
        [
          `${c.status}: ${c.summary}`,
          ...(verbosity === 2 ? c.verboseDetails : c.details).map((d) => `  | ${d}`),
        ].join('\n'),
      )
      .join('\n\n') + '\n'
  );
}

export const gheReplStatus: CommandSpec = {
  name: 'ghe-repl-status',
  description: 'Replication status per datastore (Nagios style); run on the replica.',
  run(ctx) {
    const opts = commandOptions(ctx, 'vh', USAGE);
    if (typeof opts === 'number') return opts;
    const verbosity = Math.min(2, countFlag(opts, 'v')) as 0 | 1 | 2;
    const node = ctx.node;
    const repl = node.replication;
    if (node.role !== 'replica' || !repl) {
      const what =
        node.role === 'primary'
          ? 'the primary'
          : node.role === 'replica'
            ? 'a replica being promoted'
            : 'a standalone appliance';
      ctx.printErr(
        `Error: replica mode is not configured on this appliance (${node.name} is ${what}).`,
        `Run ghe-repl-status on the replica, or configure one with ghe-repl-setup.`,
      );
      return 1;
    }
    if (!repl.running) {
      ctx.print("WARNING: replication is not running. Run `ghe-repl-start' to start replicating.");
      return 1;
    }
    ctx.write(renderReplStatus(repl.channels, verbosity));
    return replStatusExitCode(repl.channels);
  },
};
