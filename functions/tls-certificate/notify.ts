import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { notifyTlsOutcome, type TlsCertificateState } from '../../shared/tls-certificate/outcome.js';

/** Emails what was found and done; on failure the appliance output and the served certificate. */
export const handler = lambdaHandler(
  'tlsCertificateNotify',
  (event) => stepEvent(event, ['request']),
  async (state, deps) => notifyTlsOutcome(state as unknown as TlsCertificateState, deps),
  { mailer: sesMailer },
);
