import type { CommandSpec } from '../command-registry.js';
import { getopts } from '../getopts.js';

const USAGE = `Usage: ghe-maintenance [-h] -s|-u|-q
Control maintenance mode.

  -s    Enable maintenance mode
  -u    Disable maintenance mode
  -q    Query maintenance mode (prints "maintenance mode set" or "maintenance mode not set")
  -h    Show this message`;

export const gheMaintenance: CommandSpec = {
  name: 'ghe-maintenance',
  description: 'Set (-s), unset (-u) or query (-q) maintenance mode.',
  run(ctx) {
    const opts = getopts(ctx.program, ctx.args, 'suqh');
    const actions = [...new Set(opts.options.map((o) => o.flag))];
    if (opts.error || opts.operands.length > 0 || actions.length !== 1) {
      ctx.printErr(opts.error ?? 'Error: give exactly one of -s, -u or -q.', USAGE);
      return 1;
    }
    switch (actions[0]) {
      case 'h':
        ctx.print(USAGE);
        return 0;
      case 's':
        ctx.world.setMaintenance(ctx.node, true);
        return 0;
      case 'u':
        ctx.world.setMaintenance(ctx.node, false);
        return 0;
      default:
        ctx.print(ctx.node.maintenance.enabled ? 'maintenance mode set' : 'maintenance mode not set');
        return 0;
    }
  },
};
