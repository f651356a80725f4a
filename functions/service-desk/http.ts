import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ghesTickets, sesMailer, ssmParameters } from '../../shared/aws/wiring.js';
import { parseHttpEvent, serveHttp } from '../../shared/service-desk/lambda.js';

/** HTTP API: the GitHub webhook (team replies) and unsubscribe links. */
export const handler = lambdaHandler('serviceDeskHttp', parseHttpEvent, serveHttp, {
  params: ssmParameters,
  mailer: sesMailer,
  tickets: ghesTickets,
});
