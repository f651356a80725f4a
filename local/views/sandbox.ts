import { resetSandbox } from '../sandbox/reset.js';
import type { LocalWorld } from '../world.js';

/** The sandbox appliances as the console shows them. */
export interface SandboxView {
  scenario: string;
  /** Workflow time of the sandbox. */
  now: string;
  splitBrain: boolean;
  appliances: {
    name: string;
    role: string;
    up: boolean;
    maintenance: boolean;
    replication: string;
    version: string;
    busy: string[];
  }[];
  /** Where the public name and the load balancer send users. */
  traffic?: string;
}

export function sandboxView(world: LocalWorld): SandboxView | undefined {
  const sandbox = world.sandbox;
  if (!sandbox) return undefined;
  const appliances = sandbox.applianceNames.map((name) => {
    const a = sandbox.appliance(name);
    const r = a.replication;
    return {
      name,
      role: a.role,
      up: a.up,
      maintenance: a.maintenance.enabled,
      replication: r
        ? `${r.running ? 'running' : 'STOPPED'} from ${r.primary}: ${r.channels.map((c) => `${c.name} ${c.status}`).join(', ')}`
        : '-',
      version: a.version,
      busy: [...a.busy],
    };
  });
  const record = world.cloud?.record();
  const targets = world.cloud?.registered();
  return {
    scenario: sandbox.scenario,
    now: new Date(sandbox.now()).toISOString(),
    splitBrain: sandbox.splitBrain(),
    appliances,
    ...(record || targets
      ? {
          traffic: `${record ? `DNS ${record.type} -> ${record.value}` : 'no DNS record'}; load balancer targets ${targets?.join(', ') || 'none'}`,
        }
      : {}),
  };
}

/**
 * Resets the sandbox for the next demo: a fresh primary and replica (as `ghe-repl-setup` on a new
 * replica would leave them, with `scenario`'s faults), DNS and load balancer back on the primary,
 * and the failover's lock and last-failover record forgotten (they live as long as the sandbox).
 * Refused while a failover runs: it holds the lock and acts on these appliances.
 */
export async function resetSandboxWorld(world: LocalWorld, scenario?: string): Promise<void> {
  await resetSandbox(world, scenario);
}
