import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmParameters } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { releaseFailover } from '../../shared/failover/release.js';

/** Releases this execution's lock (every path the state machine controls). */
export const handler = lambdaHandler(
  'failoverRelease',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => releaseFailover(state, deps),
  { params: ssmParameters },
);
