import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer, ssmParameters } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { requestApproval } from '../../shared/failover/approval.js';

/** The approval gate's callback task: stores the token, emails the approvers; the execution waits. */
export const handler = lambdaHandler(
  'failoverRequestApproval',
  (event) => stepEvent(event, ['taskToken', 'state']),
  async ({ taskToken, state }, deps) => requestApproval(String(taskToken), state as FailoverState, deps),
  { params: ssmParameters, mailer: sesMailer },
);
