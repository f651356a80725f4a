import type { CommandContext, CommandProgram, CommandSpec } from '../command-registry.js';
import { commandOptions, optionValue } from '../getopts.js';
import { removeNode } from './remove-node.js';

const USAGE = `Usage: ghe-repl-teardown [-h] [-u UUID]
Without -u, on a replica: disable replica mode and remove its replication configuration.
With -u UUID, on the primary: remove the node with UUID from the high availability configuration.

  -u UUID   Node to remove (cat /data/user/common/uuid on that node)
  -h        Show this message`;

function* teardown(ctx: CommandContext): CommandProgram {
  const opts = commandOptions(ctx, 'u:h', USAGE);
  if (typeof opts === 'number') return opts;
  const uuid = optionValue(opts, 'u');
  if (uuid !== null) return yield* removeNode(ctx, uuid);

  const node = ctx.node;
  const repl = node.replication;
  if (node.role !== 'replica' || !repl) {
    ctx.printErr(
      `Error: ${node.name} is not a replica. To remove another node, run ghe-repl-teardown -u UUID on the primary.`,
    );
    return 1;
  }
  const total = ctx.world.durations.teardown;
  ctx.print('Stopping replication ...');
  repl.running = false;
  yield total * 0.3;
  ctx.print(`git-server-${node.uuid} is evacuating`);
  yield total * 0.4;
  ctx.print(`git-server-${node.uuid} is destroyed`);
  yield total * 0.3;
  const primary = ctx.world.node(repl.primary);
  if (primary?.up) primary.clusterNodes = primary.clusterNodes.filter((n) => n.uuid !== node.uuid);
  node.replication = null;
  node.role = 'standalone';
  node.clusterNodes = node.clusterNodes.filter((n) => n.uuid === node.uuid);
  ctx.print(
    'Success: Replication configuration has been removed.',
    "Run `ghe-repl-setup' to re-enable replica mode.",
  );
  return 0;
}

export const gheReplTeardown: CommandSpec = {
  name: 'ghe-repl-teardown',
  description: 'Disable replica mode (on a replica), or remove a node by UUID (-u, on the primary).',
  run: teardown,
};
