import type { CommandContext, CommandProgram } from '../command-registry.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Removes the node with `uuid` from this appliance's high availability configuration (run on the
 * primary): `ghe-repl-teardown -u UUID` and, from GHES 3.18, `ghe-repl-decommission UUID`.
 */
export function* removeNode(ctx: CommandContext, uuid: string): CommandProgram {
  const node = ctx.node;
  if (!UUID_PATTERN.test(uuid)) {
    ctx.printErr(
      `Error: ${JSON.stringify(uuid)} is not a node UUID (see cat /data/user/common/uuid on the node).`,
    );
    return 1;
  }
  if (node.role === 'replica') {
    ctx.printErr(`Error: ${node.name} is a replica; remove nodes from the primary.`);
    return 1;
  }
  const id = uuid.toLowerCase();
  if (id === node.uuid) {
    ctx.printErr(`Error: ${uuid} is this appliance (${node.name}); it cannot remove itself.`);
    return 1;
  }
  const entry = node.clusterNodes.find((n) => n.uuid === id);
  if (!entry) {
    ctx.printErr(`Error: no node with UUID ${uuid} in the high availability configuration of ${node.name}.`);
    return 1;
  }
  const total = ctx.world.durations.teardown;
  ctx.print(`Removing ${entry.hostname} (${id}) from the high availability configuration ...`);
  ctx.print(`  | git-server-${id} is evacuating`);
  yield total * 0.5;
  ctx.print(`  | git-server-${id} is destroyed`);
  ctx.print('  | Updating configuration ...');
  yield total * 0.5;
  node.clusterNodes = node.clusterNodes.filter((n) => n.uuid !== id);
  const removed = ctx.world.node(entry.hostname);
  if (removed?.replication && removed.replication.primary === node.name) removed.replication.running = false;
  ctx.print(`Success: ${entry.hostname} (${id}) has been removed from the high availability configuration.`);
  return 0;
}
