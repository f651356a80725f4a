import { failoverStep } from '../../shared/failover/step.js';
import { ssmParameters } from '../../shared/aws/wiring.js';
import { checkRecentFailover } from '../../shared/failover/anti-flap.js';

/** Anti-flapping: refuses a failover inside the window after the last one (RecentFailover). */
export const handler = failoverStep(
  'failoverGuard',
  (state, deps) => checkRecentFailover(state.request, deps),
  { params: ssmParameters },
);
