import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmParameters } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { checkRecentFailover } from '../../shared/failover/anti-flap.js';

/** Anti-flapping: refuses a failover inside the window after the last one (RecentFailover). */
export const handler = lambdaHandler(
  'failoverGuard',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => checkRecentFailover(state.request, deps),
  { params: ssmParameters },
);
