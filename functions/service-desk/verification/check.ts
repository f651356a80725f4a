import { deskSettings } from '../../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../../shared/runtime/handler.js';
import { ssmParameters } from '../../../shared/aws/wiring.js';
import { stepEvent } from '../../../shared/runtime/step-event.js';
import { parseVerificationStep } from '../../../shared/service-desk/custom-email/steps.js';
import { checkForwardedMail } from '../../../shared/service-desk/custom-email/workflow.js';

/** CheckForwardedMail: forwarding target, From, token, then (strict) the sender's authentication. */
export const handler = lambdaHandler(
  'customEmailCheck',
  (event) => {
    const { verification, evidence } = stepEvent(event, ['verification', 'evidence']);
    return { verification: parseVerificationStep(verification), evidence };
  },
  async ({ verification, evidence }, deps) => checkForwardedMail(verification, evidence, deps),
  { params: ssmParameters },
  { config: deskSettings },
);
