import { lambdaHandler } from '../../shared/runtime/handler.js';
import {
  dynamoRecords,
  ghesTickets,
  s3RawMail,
  sesMailer,
  sfnExecutions,
  ssmParameters,
} from '../../shared/aws/wiring.js';
import { parseSesEvent, receiveFromSes } from '../../shared/service-desk/lambda.js';

/** SES receipt rule Lambda action: the raw message is in S3 (the rule's S3 action ran first). */
export const handler = lambdaHandler('serviceDeskReceive', parseSesEvent, receiveFromSes, {
  rawMail: s3RawMail,
  params: ssmParameters,
  records: dynamoRecords,
  mailer: sesMailer,
  tickets: ghesTickets,
  // Resumes a waiting custom-email verification (states:SendTaskSuccess).
  executions: sfnExecutions,
});
