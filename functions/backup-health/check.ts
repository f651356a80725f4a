import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { checkBackupHealth } from '../../shared/backup-health/check.js';
import type { BackupHealthRequest } from '../../shared/backup-health/request.js';

/** Read-only checks on the backup host (backup-utils) or the primary (built-in service). */
export const handler = lambdaHandler(
  'backupHealthCheck',
  (event) => stepEvent(event, ['request']),
  async ({ request }, deps) => checkBackupHealth(request as BackupHealthRequest, deps),
  { runner: ssmRunner },
);
