import { lambdaHandler } from '../../shared/runtime/handler.js';
import { nodeTlsProbe, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { checkRenewal, type RenewalProgress } from '../../shared/tls-certificate/renew.js';
import type { TlsInspection } from '../../shared/tls-certificate/inspect.js';
import type { TlsCertificateRequest } from '../../shared/tls-certificate/request.js';

/** One poll of the renewal; when done, confirms that the served certificate changed. */
export const handler = lambdaHandler(
  'tlsCertificateCheckRenewal',
  (event) => stepEvent(event, ['request', 'inspect', 'renewal']),
  async ({ request, inspect, renewal }, deps) =>
    checkRenewal(
      request as TlsCertificateRequest,
      inspect as TlsInspection,
      renewal as RenewalProgress,
      deps,
    ),
  { runner: ssmRunner, tlsProbe: nodeTlsProbe },
);
