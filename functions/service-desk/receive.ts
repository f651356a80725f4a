import { deskAndAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import {
  dynamoRecords,
  nodemailerSmtp,
  ghesTickets,
  s3RawMail,
  sesMailer,
  sfnExecutions,
  ssmParameters,
} from '../../shared/aws/wiring.js';
import { parseSesEvent, receiveFromSes } from '../../shared/service-desk/ses-event.js';

/** SES receipt rule Lambda action: the raw message is in S3 (the rule's S3 action ran first). */
export const handler = lambdaHandler(
  'serviceDeskReceive',
  parseSesEvent,
  receiveFromSes,
  {
    rawMail: s3RawMail,
    params: ssmParameters,
    records: dynamoRecords,
    // A project's enabled custom address sends through the customer's SMTP server (no IAM).
    smtpSubmission: nodemailerSmtp,
    mailer: sesMailer,
    tickets: ghesTickets,
    // Resumes a waiting custom-email verification (states:SendTaskSuccess).
    executions: sfnExecutions,
  },
  { config: deskAndAppSettings },
);
