import { deskAndAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import {
  dynamoRecords,
  nodemailerSmtp,
  ghesTickets,
  sesMailer,
  sfnExecutions,
  ssmParameters,
} from '../../shared/aws/wiring.js';
import { httpApiEvent } from '../../shared/http/api-event.js';
import { serveDeskHttp } from '../../shared/service-desk/http-routes.js';

/** HTTP API: the GitHub webhook (team replies), unsubscribe links, and starting a custom-email verification. */
export const handler = lambdaHandler(
  'serviceDeskHttp',
  httpApiEvent,
  serveDeskHttp,
  {
    params: ssmParameters,
    records: dynamoRecords,
    // A project's enabled custom address sends through the customer's SMTP server (no IAM).
    smtpSubmission: nodemailerSmtp,
    mailer: sesMailer,
    tickets: ghesTickets,
    // POST /service-desk/custom-email/<project>/verify starts the verification (states:StartExecution).
    executions: sfnExecutions,
  },
  { config: deskAndAppSettings },
);
