import { lambdaHandler } from '../../shared/runtime/handler.js';
import { httpsAppliances, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { observePrimary } from '../../shared/failover/observers.js';

/** Unplanned mode: two observers (GET /status, the runner) must see the primary down. */
export const handler = lambdaHandler(
  'failoverObserve',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => observePrimary(state.request, deps),
  { runner: ssmRunner, http: httpsAppliances },
);
