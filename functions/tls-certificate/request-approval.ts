import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer, ssmParameters } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { ErrorInfo } from '../../shared/errors.js';
import { requestRecoveryApproval } from '../../shared/tls-certificate/approval.js';
import type { TlsInspection } from '../../shared/tls-certificate/inspect.js';
import type { RenewalProgress } from '../../shared/tls-certificate/renew.js';
import type { TlsCertificateRequest } from '../../shared/tls-certificate/request.js';

/** The approval wait of the ACME recovery (callback task): stores the token, emails the failure; the execution waits. */
export const handler = lambdaHandler(
  'tlsCertificateRequestApproval',
  (event) => {
    const e = stepEvent(event, ['taskToken', 'request', 'inspect', 'renewal', 'renewError', 'execution']);
    return {
      taskToken: String(e.taskToken),
      request: e.request as TlsCertificateRequest,
      inspect: e.inspect as TlsInspection,
      renewal: e.renewal as RenewalProgress,
      renewError: e.renewError as ErrorInfo,
      execution: e.execution as { id: string; name: string },
    };
  },
  ({ taskToken, ...input }, deps) => requestRecoveryApproval(taskToken, input, deps),
  { params: ssmParameters, mailer: sesMailer },
);
