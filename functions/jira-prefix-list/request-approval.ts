import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer, ssmParameters } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { requestJiraApproval } from '../../shared/jira-prefix-list/approval.js';
import type { JiraPlan } from '../../shared/jira-prefix-list/plan.js';
import type { JiraPrefixListRequest } from '../../shared/jira-prefix-list/request.js';

/** The approval wait of a large removal (callback task): stores the token, emails the diff; the execution waits. */
export const handler = lambdaHandler(
  'jiraPrefixListRequestApproval',
  (event) => {
    const { taskToken, request, plan, execution } = stepEvent(event, [
      'taskToken',
      'request',
      'plan',
      'execution',
    ]);
    return {
      taskToken: String(taskToken),
      request: request as JiraPrefixListRequest,
      plan: plan as JiraPlan,
      execution: execution as { id: string; name: string },
    };
  },
  ({ taskToken, ...input }, deps) => requestJiraApproval(taskToken, input, deps),
  { params: ssmParameters, mailer: sesMailer },
);
