import { deskSettings } from '../../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../../shared/runtime/handler.js';
import { sesMailer, ssmParameters } from '../../../shared/aws/wiring.js';
import { parseFinishStep } from '../../../shared/service-desk/custom-email/steps.js';
import { finishVerification } from '../../../shared/service-desk/custom-email/workflow.js';

/** FinishVerification: secrets discarded, state finished or failed, the result emailed with the fix. */
export const handler = lambdaHandler(
  'customEmailFinish',
  parseFinishStep,
  finishVerification,
  {
    params: ssmParameters,
    mailer: sesMailer,
  },
  { config: deskSettings },
);
