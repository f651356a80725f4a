import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { notifyOutcome, type SupportBundleState } from '../../shared/support-bundle/outcome.js';

/** Emails the outcome (success or failure, with the appliance output) to the requested addresses. */
export const handler = lambdaHandler(
  'supportBundleNotify',
  (event) => stepEvent(event, ['request']),
  async (state, deps) => notifyOutcome(state as unknown as SupportBundleState, deps),
  { mailer: sesMailer },
);
