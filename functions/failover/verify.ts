import { lambdaHandler } from '../../shared/runtime/handler.js';
import { httpsAppliances, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { verifyFailover } from '../../shared/failover/verify.js';

/** One verification poll through the public name. */
export const handler = lambdaHandler(
  'failoverVerify',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => verifyFailover(state, deps),
  { runner: ssmRunner, http: httpsAppliances },
);
