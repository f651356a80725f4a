import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { startRenewal } from '../../shared/tls-certificate/renew.js';
import type { TlsCertificateRequest } from '../../shared/tls-certificate/request.js';

/** Starts `ghe-ssl-acme -e` (or the approved `-x` then `-e -v`) on the primary; returns a handle. */
export const handler = lambdaHandler(
  'tlsCertificateRenew',
  (event) => stepEvent(event, ['request']),
  // `recovery: true` from the state machine: the operator approved the recovery after a failed -e.
  async ({ request, recovery }, deps) =>
    startRenewal(
      recovery === true
        ? { ...(request as TlsCertificateRequest), recovery: true }
        : (request as TlsCertificateRequest),
      deps,
    ),
  { runner: ssmRunner },
);
