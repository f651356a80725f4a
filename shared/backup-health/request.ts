import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { Fields } from '../validate.js';
import { runbookSection } from '../runbook/settings.js';

export interface BackupHealthRequest {
  mode: 'backup-utils' | 'builtin';
  /** Where the checks run: the backup-utils host, or the primary for the built-in service. */
  target: string;
  /** backup-utils GHE_DATA_DIR. */
  dataDir: string;
  maxAgeHours: number;
  staleLockHours: number;
  diskPercent: number;
  notify: string[];
  /** EBS snapshot of the backup volume after a healthy check (configured, and not turned off by the input). */
  snapshot?: { volumeId: string; retentionDays: number };
}

export const BACKUP_FIELDS = ['maxAgeHours', 'staleLockHours', 'diskPercent', 'snapshot', 'notify'] as const;
export const SETTINGS_HINT =
  'set the backupMode param (backup-utils or builtin) and, for backup-utils, backupHost (the EC2 instance id of the backup host, with the SSM agent) and backupDataDir in serverless.yml; or runbook.backup locally.';

export function parseBackupHealthRequest(input: unknown, config: Config): BackupHealthRequest {
  const f = new Fields(input, 'backup-health input');
  f.only([...BACKUP_FIELDS]);
  const maxAgeHours = f.integer('maxAgeHours', { min: 1, max: 24 * 14, default: 26 });
  const staleLockHours = f.integer('staleLockHours', { min: 1, max: 72, default: 6 });
  const diskPercent = f.integer('diskPercent', { min: 50, max: 100, default: 90 });
  const snapshot = f.boolean('snapshot', true);
  const notify = f.emails('notify') ?? config.mail.notify;
  f.done();
  const backup = runbookSection(config.runbook, 'backup', SETTINGS_HINT);
  const target = backup.mode === 'builtin' ? config.appliance.primary : backup.host;
  if (!target) throw new ConfigError(`backup-utils needs its host: ${SETTINGS_HINT}`);
  return {
    mode: backup.mode,
    target,
    dataDir: backup.dataDir,
    maxAgeHours,
    staleLockHours,
    diskPercent,
    notify,
    ...(snapshot && backup.ebsVolumeId
      ? { snapshot: { volumeId: backup.ebsVolumeId, retentionDays: backup.snapshotRetentionDays } }
      : {}),
  };
}
