import { lambdaHandler } from '../../shared/runtime/handler.js';
import { parseTlsCertificateRequest } from '../../shared/tls-certificate/request.js';

/** Validates the execution input; the hostname comes from the deployment settings. */
export const handler = lambdaHandler(
  'tlsCertificateValidate',
  (event) => event,
  async (input, deps) => ({ request: parseTlsCertificateRequest(input, deps.config) }),
);
