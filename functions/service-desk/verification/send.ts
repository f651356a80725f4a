import { deskSettings } from '../../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../../shared/runtime/handler.js';
import { nodemailerSmtp, ssmParameters } from '../../../shared/aws/wiring.js';
import { stepEvent } from '../../../shared/runtime/step-event.js';
import { parseVerificationStep } from '../../../shared/service-desk/custom-email/steps.js';
import { sendVerificationMail } from '../../../shared/service-desk/custom-email/workflow.js';

/** The callback task: stores the task token, then sends the verification email through the customer's SMTP server. */
export const handler = lambdaHandler(
  'customEmailSend',
  (event) => {
    const { taskToken, verification } = stepEvent(event, ['taskToken', 'verification']);
    return { taskToken: String(taskToken), verification: parseVerificationStep(verification) };
  },
  async ({ taskToken, verification }, deps) => sendVerificationMail(taskToken, verification, deps),
  { params: ssmParameters, smtpSubmission: nodemailerSmtp },
  { config: deskSettings },
);
