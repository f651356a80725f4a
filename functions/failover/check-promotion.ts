import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { checkPromotion } from '../../shared/failover/promote.js';

/** One poll of the running promotion. */
export const handler = lambdaHandler(
  'failoverPromoteCheck',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => checkPromotion(state, deps),
  { runner: ssmRunner },
);
