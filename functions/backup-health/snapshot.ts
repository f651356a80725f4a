import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ec2VolumeSnapshots } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { snapshotBackupVolume } from '../../shared/backup-health/snapshot.js';
import type { BackupHealth } from '../../shared/backup-health/check.js';
import type { BackupHealthRequest } from '../../shared/backup-health/request.js';

/** After a healthy check: an EBS snapshot of the backup volume, and the expired ones deleted. */
export const handler = lambdaHandler(
  'backupHealthSnapshot',
  (event) => stepEvent(event, ['request', 'check']),
  async ({ request, check }, deps) =>
    snapshotBackupVolume(request as BackupHealthRequest, check as BackupHealth, deps),
  { volumeSnapshots: ec2VolumeSnapshots },
);
