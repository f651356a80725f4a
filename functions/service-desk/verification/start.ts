import { deskSettings } from '../../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../../shared/runtime/handler.js';
import { sesMailer, sfnExecutions, ssmParameters } from '../../../shared/aws/wiring.js';
import { stepEvent } from '../../../shared/runtime/step-event.js';
import { startVerification } from '../../../shared/service-desk/custom-email/workflow.js';

/** StartVerification: validate, refuse a running verification, mark started, email owners and triggerer. */
export const handler = lambdaHandler(
  'customEmailStart',
  (event) => stepEvent(event, ['input', 'execution']),
  async ({ input, execution }, deps) => startVerification(input, String(execution), deps),
  { params: ssmParameters, mailer: sesMailer, executions: sfnExecutions },
  { config: deskSettings },
);
