import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer, ssmParameters } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { parseFailoverState } from '../../shared/failover/state.js';
import { requestApproval } from '../../shared/failover/approval.js';

/** The approval gate's callback task: stores the token, emails the approvers; the execution waits. */
export const handler = lambdaHandler(
  'failoverRequestApproval',
  (event) => {
    const { taskToken, state } = stepEvent(event, ['taskToken', 'state']);
    return { taskToken: String(taskToken), state: parseFailoverState(state, 'state') };
  },
  ({ taskToken, state }, deps) => requestApproval(taskToken, state, deps),
  { params: ssmParameters, mailer: sesMailer },
);
