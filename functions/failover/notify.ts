import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { notifyFailoverOutcome } from '../../shared/failover/outcome.js';

/** Emails the outcome and its timeline; returns the outcome the Fail state reports. */
export const handler = lambdaHandler(
  'failoverNotify',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => notifyFailoverOutcome(state, deps),
  { mailer: sesMailer },
);
