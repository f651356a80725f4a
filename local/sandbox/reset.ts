import { SANDBOX_PRIMARY, SANDBOX_REPLICA } from './appliance-names.js';
import { failoverParams } from '../../shared/failover/names.js';
import type { LocalWorld } from '../world.js';

/** Why the sandbox was not reset (a failover still running, no sandbox). */
export class SandboxResetRefused extends Error {
  override readonly name = 'SandboxResetRefused';
}

export interface SandboxResetResult {
  primary: string;
  replica: string;
  /** What the reset did, one line each (for the terminal, the CLI and the console). */
  lines: string[];
}

/**
 * Rebuilds the sandbox pair so a demo can be repeated, e.g. a second failover after the first left
 * no replica: the primary back in service, the replica rebuilt as `ghe-repl-setup <primary>` and
 * `ghe-repl-start` would (Sandbox.reset, optionally switching the scenario), traffic back on the primary (DNS record, target
 * group), and the failover's sandbox-scoped state cleared (its lock and the anti-flapping record of
 * the last failover, which belong to the appliances being rebuilt). Refused while a failover runs:
 * stop it or let it end first. What `POST /sandbox/reset` and `ghes-ops sandbox reset` call.
 */
export async function resetSandbox(
  world: Pick<LocalWorld, 'sandbox' | 'cloud' | 'engine' | 'deps' | 'config'>,
  scenario?: string,
): Promise<SandboxResetResult> {
  if (!world.sandbox)
    throw new SandboxResetRefused(
      'There is no sandbox to reset: the configuration selects a real appliance (appliance.runner is not "sandbox").',
    );
  const running = world.engine.listExecutions({ stateMachine: 'failover', status: 'RUNNING' });
  if (running.length > 0)
    throw new SandboxResetRefused(
      `A failover is running (${running.map((e) => e.name).join(', ')}): let it end, or stop it, before resetting the sandbox.`,
    );
  let pair: { primary: string; replica: string };
  try {
    world.sandbox.reset(scenario);
    pair = { primary: SANDBOX_PRIMARY, replica: SANDBOX_REPLICA };
  } catch (error) {
    throw new SandboxResetRefused((error as Error).message);
  }
  world.config.local.scenario = world.sandbox.scenario;
  world.cloud?.reset();
  const names = failoverParams(world.config);
  await world.deps.params.delete(names.lock);
  await world.deps.params.delete(names.last);
  return {
    ...pair,
    lines: [
      `${pair.primary}: primary, out of maintenance mode, taking writes`,
      `${pair.replica}: replica of ${pair.primary} again (ghe-repl-setup ${pair.primary}; ghe-repl-start), replication running`,
      ...(world.cloud ? [`traffic: the DNS record and the target group point at ${pair.primary}`] : []),
      'failover lock and last-failover record cleared (no anti-flapping wait)',
      `scenario ${world.sandbox.scenario} applied again`,
    ],
  };
}
