import { lambdaHandler } from '../../shared/runtime/handler.js';
import { parseJiraPrefixListRequest } from '../../shared/jira-prefix-list/request.js';

/** Validates the execution input; the lists and the ranges URL come from the deployment settings. */
export const handler = lambdaHandler(
  'jiraPrefixListValidate',
  (event) => event,
  async (input, deps) => ({ request: parseJiraPrefixListRequest(input, deps.config) }),
);
