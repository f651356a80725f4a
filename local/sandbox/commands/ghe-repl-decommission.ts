import type { CommandContext, CommandProgram, CommandSpec } from '../command-registry.js';
import { getopts, hasFlag } from '../getopts.js';
import { removeNode } from './remove-node.js';

const USAGE = `Usage: ghe-repl-decommission [-h] UUID
Remove the node with UUID from the high availability configuration. Run on the primary.`;

function* decommission(ctx: CommandContext): CommandProgram {
  const opts = getopts(ctx.program, ctx.args, 'h');
  if (hasFlag(opts, 'h')) {
    ctx.print(USAGE);
    return 0;
  }
  const [uuid, ...extra] = opts.operands;
  if (opts.error || uuid === undefined || extra.length > 0) {
    ctx.printErr(opts.error ?? 'Error: give exactly one node UUID.', USAGE);
    return 1;
  }
  return yield* removeNode(ctx, uuid);
}

export const gheReplDecommission: CommandSpec = {
  name: 'ghe-repl-decommission',
  description: 'Remove a node by UUID from the HA configuration (GHES 3.18 and later).',
  minVersion: '3.18.0',
  run: decommission,
};
