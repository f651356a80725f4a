import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { notifyBackupOutcome, type BackupHealthState } from '../../shared/backup-health/outcome.js';

/** Emails the state of the backups, each problem with what to do. */
export const handler = lambdaHandler(
  'backupHealthNotify',
  (event) => stepEvent(event, ['request']),
  async (state, deps) => notifyBackupOutcome(state as unknown as BackupHealthState, deps),
  { mailer: sesMailer },
);
