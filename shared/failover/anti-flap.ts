import type { Deps } from '../runtime/deps.js';
import { RecentFailover } from './errors.js';
import { failoverParams, iso } from './names.js';
import type { FailoverRequest } from './request.js';

/**
 * Anti-flapping (orchestrator's RecoveryPeriodBlockSeconds): no failover within
 * `antiFlappingMinutes` of the last one unless the input says `acknowledgeRecentFailover`.
 * A failover counts from the moment promotion starts: that is when the cluster changes, whatever
 * happens next.
 */
export interface LastFailover {
  at: string;
  execution: string;
  from: string;
  to: string;
  outcome: string;
}

export interface AntiFlapCheck {
  last?: LastFailover;
  minutesSinceLast?: number;
  windowMinutes: number;
  acknowledged: boolean;
}

export async function readLastFailover(
  deps: Pick<Deps, 'config' | 'params'>,
): Promise<LastFailover | undefined> {
  const text = await deps.params.get(failoverParams(deps.config).last);
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as LastFailover;
    return typeof v.at === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function checkRecentFailover(
  request: FailoverRequest,
  deps: Pick<Deps, 'clock' | 'config' | 'params'>,
): Promise<AntiFlapCheck> {
  const last = await readLastFailover(deps);
  const windowMinutes = request.antiFlappingMinutes;
  if (!last) return { windowMinutes, acknowledged: request.acknowledgeRecentFailover };
  const minutesSinceLast = Math.floor((deps.clock.now() - Date.parse(last.at)) / 60_000);
  if (minutesSinceLast < windowMinutes && !request.acknowledgeRecentFailover) {
    throw new RecentFailover(
      `The last failover (${last.from} -> ${last.to}, execution ${last.execution}, outcome ${last.outcome}) was ${Math.max(0, minutesSinceLast)} minutes ago, ` +
        `inside the ${windowMinutes}-minute anti-flapping window. Nothing was changed. If a failover back is really wanted, ` +
        'check both appliances first, then start again with "acknowledgeRecentFailover": true.',
      { last },
    );
  }
  return { last, minutesSinceLast, windowMinutes, acknowledged: request.acknowledgeRecentFailover };
}

export async function recordFailover(
  request: FailoverRequest,
  outcome: string,
  deps: Pick<Deps, 'clock' | 'config' | 'params'>,
  at = deps.clock.now(),
): Promise<LastFailover> {
  const last: LastFailover = {
    at: iso(at),
    execution: request.execution.id,
    from: request.primary.target,
    to: request.replica.target,
    outcome,
  };
  await deps.params.put(failoverParams(deps.config).last, JSON.stringify(last), {
    secure: false,
    overwrite: true,
  });
  return last;
}
