import { githubAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { dynamoRecords, ssmParameters } from '../../shared/aws/wiring.js';
import { receiveWebhook } from '../../shared/github-app/webhooks.js';
import { httpApiEvent, jsonResult, rawBody } from '../../shared/http/api-event.js';

/** POST /github-app/webhooks: verified on the raw body with the app's webhook secret, then routed to the handlers. */
export const handler = lambdaHandler(
  'githubAppWebhook',
  httpApiEvent,
  async (event, deps) => {
    const res = await receiveWebhook({ headers: event.headers ?? {}, body: rawBody(event) }, deps);
    return jsonResult(res.status, res.body);
  },
  { params: ssmParameters, records: dynamoRecords },
  { config: githubAppSettings },
);
