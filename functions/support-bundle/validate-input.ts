import { lambdaHandler } from '../../shared/runtime/handler.js';
import { parseSupportBundleRequest } from '../../shared/support-bundle/request.js';

/** Validates the execution input; bad input fails the execution before any command runs. */
export const handler = lambdaHandler(
  'supportBundleValidate',
  (event) => event,
  async (input, deps) => ({ request: parseSupportBundleRequest(input, deps.config) }),
);
