import { SANDBOX_PUBLIC_NAME, SANDBOX_ZONE_ID } from '../../local/sandbox/cloud/sandbox-cloud.js';
import type { LocalWorld } from '../../local/world.js';
import type { Config } from '../../shared/config.js';
import { failoverParams } from '../../shared/failover/names.js';
import { parseFailoverRequest } from '../../shared/failover/request.js';
import type { FailoverState } from '../../shared/failover/state.js';
import type { ParameterStore } from '../../shared/params/parameter-store.js';

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

/** A parameter store in memory (the three calls of `ParameterStore`) over `store`, for logic tests. */
export function memoryParams(
  store = new Map<string, string>(),
): ParameterStore & { store: Map<string, string> } {
  return {
    store,
    get: async (n) => store.get(n),
    put: async (n, v) => void store.set(n, v),
    delete: async (n) => void store.delete(n),
  };
}

/**
 * A failover state as the promotion steps receive it: the validated request of `input` for
 * `execution`, holding the lock (acquired at `acquiredAt`) in an in-memory parameter store.
 */
export function lockedFailoverState(
  config: Config,
  input: Record<string, unknown>,
  execution: { id: string; name: string },
  acquiredAt: string,
  lock: Record<string, unknown> = {},
): { state: FailoverState; params: ReturnType<typeof memoryParams>; lockName: string } {
  const lockName = failoverParams(config).lock;
  const params = memoryParams(
    new Map([[lockName, JSON.stringify({ owner: execution.id, acquiredAt, mode: input.mode, ...lock })]]),
  );
  const request = parseFailoverRequest(input, config, execution);
  return { state: { request, lock: { name: lockName, owner: execution.id, acquiredAt } }, params, lockName };
}
