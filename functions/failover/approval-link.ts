import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sfnExecutions, ssmParameters } from '../../shared/aws/wiring.js';
import { approvalLink } from '../../shared/failover/approval.js';

/** HTTP API route of the approval link: GET shows the confirmation page, POST decides. */
export const handler = lambdaHandler(
  'failoverApprovalLink',
  (event) => event as APIGatewayProxyEventV2,
  async (event, deps) => {
    const body = event.body
      ? event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body
      : '';
    const page = await approvalLink(
      event.requestContext?.http?.method ?? 'GET',
      event.pathParameters?.execution ?? '',
      new URLSearchParams(event.rawQueryString ?? ''),
      body,
      deps,
    );
    return {
      statusCode: page.status,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
      },
      body: page.html,
    };
  },
  { params: ssmParameters, executions: sfnExecutions },
);
