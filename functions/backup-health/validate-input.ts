import { lambdaHandler } from '../../shared/runtime/handler.js';
import { parseBackupHealthRequest } from '../../shared/backup-health/request.js';

/** Validates the execution input; the mode and the host come from the deployment settings. */
export const handler = lambdaHandler(
  'backupHealthValidate',
  (event) => event,
  async (input, deps) => ({ request: parseBackupHealthRequest(input, deps.config) }),
);
