import type { Deps } from '../runtime/deps.js';
import { readLastFailover, recordFailover } from './anti-flap.js';
import { discardApproval } from './approval.js';
import { releaseLock, type ReleaseResult } from './lock.js';
import type { FailoverState } from './state.js';

/**
 * The last step of every path the state machine controls (success and every caught failure):
 * releases this execution's lock, drops a leftover approval, and stamps the anti-flapping record
 * with how it ended (its time stays the promotion start).
 */
export async function releaseFailover(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'params'>,
): Promise<ReleaseResult> {
  const { request } = state;
  await discardApproval(request.execution.name, deps);
  if (state.promotion) {
    const last = await readLastFailover(deps);
    const outcome = state.error ? `failed: ${state.error.Error}` : 'failed over';
    if (last?.execution === request.execution.id)
      await recordFailover(request, outcome, deps, Date.parse(last.at));
  }
  return releaseLock(request.execution.id, deps);
}
