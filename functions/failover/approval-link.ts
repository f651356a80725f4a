import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sfnExecutions, ssmParameters } from '../../shared/aws/wiring.js';
import { approvalLink } from '../../shared/failover/approval.js';
import { htmlResult, httpApiEvent, method, pathParam, query, rawBody } from '../../shared/http/api-event.js';

/** HTTP API route of the approval link: GET shows the confirmation page, POST decides. */
export const handler = lambdaHandler(
  'failoverApprovalLink',
  httpApiEvent,
  async (event, deps) => {
    const page = await approvalLink(
      method(event),
      pathParam(event, 'execution'),
      query(event),
      rawBody(event),
      deps,
    );
    return htmlResult(page.status, page.html);
  },
  { params: ssmParameters, executions: sfnExecutions },
);
