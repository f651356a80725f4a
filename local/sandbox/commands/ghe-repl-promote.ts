import type { CommandContext, CommandProgram, CommandSpec } from '../command-registry.js';
import { SESSION_DROP_SECONDS } from '../faults.js';
import { commandOptions } from '../getopts.js';

const USAGE = `Usage: ghe-repl-promote [-h] [-y]
Promote this replica to primary: put the primary in maintenance mode when it is reachable, stop
replication, switch out of replica mode and start all services.

  -y    Do not ask for confirmation
  -h    Show this message`;

/** The curl answer the old primary's endpoint gives when it is gone (release note, 2024-11). */
const NO_SERVER_MESSAGE =
  '{"message": "No server is currently available to service your request. Sorry about that. Please try resubmitting your request and contact your local GitHub Enterprise site administrator if the problem persists."}';
const PROMOTE_BUG_LINE = 'jq: error (at <stdin>:3): Cannot index string with string "node"';
/** jq's exit status on a runtime error; the script runs with `set -e`. */
const PROMOTE_BUG_EXIT_CODE = 5;

const STOPPED_SERVICES = ['Pages', 'Git', 'MySQL', 'Redis', 'Elasticsearch'];

function* promote(ctx: CommandContext): CommandProgram {
  const opts = commandOptions(ctx, 'yh', USAGE);
  if (typeof opts === 'number') return opts;
  const node = ctx.node;
  const repl = node.replication;
  if (node.role !== 'replica' || !repl) {
    ctx.printErr(
      `Error: ${node.name} is not a replica: ghe-repl-promote must be run on the replica to promote.`,
    );
    return 1;
  }
  if (node.busy.has('promote')) {
    ctx.printErr(`Error: a promotion is already running on ${node.name}.`);
    return 1;
  }
  node.busy.add('promote');
  try {
    const d = ctx.world.durations;
    const total = d.promote;
    const primary = ctx.world.node(repl.primary);
    const primaryUp = primary?.up === true;

    ctx.print('Enabling maintenance mode on the primary to prevent writes ...');
    if (primary && primaryUp) {
      ctx.world.setMaintenance(primary, true);
    } else {
      yield d.sshConnectTimeout;
      ctx.printErr(
        `ssh: connect to host ${repl.primary} port 122: Connection timed out`,
        'Warning: Primary node is unavailable.',
        'Warning: Performing hard failover without cleaning up on the primary side.',
      );
    }
    yield total * 0.1;

    ctx.print('Stopping replication ...');
    for (const service of STOPPED_SERVICES) {
      ctx.print(`  | Stopping ${service} replication ...`);
      yield total * 0.06;
    }
    repl.running = false;
    ctx.print('  | Success: replication was stopped for all services.');
    if (ctx.world.faults.sessionDrop) ctx.world.dropSessionsSoon(node, SESSION_DROP_SECONDS);

    if (!primaryUp && ctx.world.faults.promoteBug) {
      // Decommissioning the other Elasticsearch nodes goes through the unreachable old primary.
      yield d.sshConnectTimeout;
      ctx.print(NO_SERVER_MESSAGE);
      ctx.printErr(PROMOTE_BUG_LINE);
      return PROMOTE_BUG_EXIT_CODE;
    }

    ctx.print('Switching out of replica mode ...');
    yield total * 0.2;
    node.replication = null;
    ctx.print(
      '  | Success: Replication configuration has been removed.',
      "  | Run `ghe-repl-setup' to re-enable replica mode.",
    );

    ctx.print('Applying configuration and starting services ...');
    yield total * 0.4;
    node.role = 'primary';
    node.load = { gitOperations: 12, mysqlQueries: 233, resqueJobs: 54 };
    ctx.world.setMaintenance(node, false);
    ctx.print('Success: Replica has been promoted to primary and is now accepting requests.');
    return 0;
  } finally {
    node.busy.delete('promote');
  }
}

export const gheReplPromote: CommandSpec = {
  name: 'ghe-repl-promote',
  description: 'Promote the replica to primary (long-running; never prompts in the sandbox).',
  run: promote,
};
