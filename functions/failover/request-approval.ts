import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer, ssmParameters } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { parseFailoverState } from '../../shared/failover/state.js';
import { requestApproval } from '../../shared/failover/approval.js';
import { requestTrafficSwitch } from '../../shared/failover/traffic-manual.js';
import { InputValidationError } from '../../shared/errors.js';

/**
 * The failover's operator waits (callback tasks): `gate: "approval"` (default) stores the token and
 * emails the approvers; `gate: "traffic"` (manual traffic, after the promotion) asks the operator to
 * switch the record and confirm. The execution waits for the decision or the state's timeout.
 */
export const handler = lambdaHandler(
  'failoverRequestApproval',
  (event) => {
    const { taskToken, state } = stepEvent(event, ['taskToken', 'state']);
    const gate = (event as { gate?: unknown }).gate ?? 'approval';
    if (gate !== 'approval' && gate !== 'traffic')
      throw new InputValidationError(
        [{ field: 'gate', problem: 'must be "approval" or "traffic"' }],
        'step event',
      );
    return { taskToken: String(taskToken), state: parseFailoverState(state, 'state'), gate };
  },
  ({ taskToken, state, gate }, deps) =>
    gate === 'traffic'
      ? requestTrafficSwitch(taskToken, state, deps)
      : requestApproval(taskToken, state, deps),
  { params: ssmParameters, mailer: sesMailer },
);
