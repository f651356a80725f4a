import { failoverStep } from '../../shared/failover/step.js';
import { httpsAppliances, ssmRunner } from '../../shared/aws/wiring.js';
import { observePrimary } from '../../shared/failover/observers.js';

/** Unplanned mode: two observers (GET /status, the runner) must see the primary down. */
export const handler = failoverStep('failoverObserve', (state, deps) => observePrimary(state.request, deps), {
  runner: ssmRunner,
  http: httpsAppliances,
});
