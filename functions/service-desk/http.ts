import { lambdaHandler } from '../../shared/runtime/handler.js';
import {
  dynamoRecords,
  nodemailerSmtp,
  ghesTickets,
  sesMailer,
  sfnExecutions,
  ssmParameters,
} from '../../shared/aws/wiring.js';
import { parseHttpEvent, serveHttp } from '../../shared/service-desk/lambda.js';

/** HTTP API: the GitHub webhook (team replies), unsubscribe links, and starting a custom-email verification. */
export const handler = lambdaHandler('serviceDeskHttp', parseHttpEvent, serveHttp, {
  params: ssmParameters,
  records: dynamoRecords,
  // A project's enabled custom address sends through the customer's SMTP server (no IAM).
  smtpSubmission: nodemailerSmtp,
  mailer: sesMailer,
  tickets: ghesTickets,
  // POST /service-desk/custom-email/<project>/verify starts the verification (states:StartExecution).
  executions: sfnExecutions,
});
