import { lambdaHandler } from '../../shared/runtime/handler.js';
import { nodeTlsProbe, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { inspectCertificate } from '../../shared/tls-certificate/inspect.js';
import type { TlsCertificateRequest } from '../../shared/tls-certificate/request.js';

/** Read-only: the served certificate (TLS handshake) and `ghe-ssl-acme -s`; decides what to do. */
export const handler = lambdaHandler(
  'tlsCertificateInspect',
  (event) => stepEvent(event, ['request']),
  async ({ request }, deps) => inspectCertificate(request as TlsCertificateRequest, deps),
  { runner: ssmRunner, tlsProbe: nodeTlsProbe },
);
