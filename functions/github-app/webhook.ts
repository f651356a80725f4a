import { lambdaHandler } from '../../shared/runtime/handler.js';
import { dynamoRecords, ssmParameters } from '../../shared/aws/wiring.js';
import { receiveWebhook } from '../../shared/github-app/webhooks.js';
import { httpEvent, rawBody, result } from './http.js';

/** POST /github-app/webhooks: verified on the raw body by @octokit/app, then routed to the handlers. */
export const handler = lambdaHandler(
  'githubAppWebhook',
  httpEvent,
  async (event, deps) => {
    const res = await receiveWebhook({ headers: event.headers ?? {}, body: rawBody(event) }, deps);
    return result(res.status, { 'content-type': 'application/json' }, JSON.stringify(res.body));
  },
  { params: ssmParameters, records: dynamoRecords },
);
