import { lambdaHandler } from '../../shared/runtime/handler.js';
import { httpsAppliances, ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { checkDrain } from '../../shared/failover/fence.js';

/** One drain poll of the planned fence (counters, 30 s settle, every channel OK). */
export const handler = lambdaHandler(
  'failoverCheckDrain',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => checkDrain(state, deps),
  { runner: ssmRunner, http: httpsAppliances, params: ssmParameters },
);
