import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sfnExecutions, ssmParameters } from '../../shared/aws/wiring.js';
import { approvalLinkPage } from '../../shared/approval/gate.js';
import { htmlResult, httpApiEvent, method, pathParam, query, rawBody } from '../../shared/http/api-event.js';

/**
 * HTTP API routes of the operator-wait links (`/<workflow>/approvals/{execution}` for the failover,
 * the Jira prefix list and the TLS certificate workflows): GET shows the confirmation page, POST
 * decides. The workflow is the path's first segment; the page refuses any other.
 */
export const handler = lambdaHandler(
  'failoverApprovalLink',
  httpApiEvent,
  async (event, deps) => {
    const page = await approvalLinkPage(
      method(event),
      event.rawPath.split('/')[1] ?? '',
      pathParam(event, 'execution'),
      query(event),
      rawBody(event),
      deps,
    );
    return htmlResult(page.status, page.html);
  },
  { params: ssmParameters, executions: sfnExecutions },
);
