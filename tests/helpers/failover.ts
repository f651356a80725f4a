import { SANDBOX_PUBLIC_NAME, SANDBOX_ZONE_ID } from '../../local/sandbox/cloud/sandbox-cloud.js';
import type { LocalWorld } from '../../local/world.js';
import { failoverParams } from '../../shared/failover/names.js';

/** A planned failover of the sandbox pair through the sandbox's Route 53 zone. */
export function failoverInput(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mode: 'planned',
    primary: 'ghe-primary',
    replica: 'ghe-replica',
    traffic: { route53: { hostedZoneId: SANDBOX_ZONE_ID, recordName: SANDBOX_PUBLIC_NAME, ttl: 60 } },
    reason: 'planned maintenance of the primary host',
    notify: ['oncall@example.com'],
    ...extra,
  };
}

export async function lockValue(world: LocalWorld): Promise<string | undefined> {
  return world.deps.params.get(failoverParams(world.config).lock);
}

/** Waits (real time) until `check` is true, or fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const statesEntered = (history: { type: string; stateName?: string }[]): string[] =>
  history.filter((e) => e.type === 'StateEntered').map((e) => e.stateName ?? '');
