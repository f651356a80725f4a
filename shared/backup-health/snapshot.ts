import type { Deps } from '../runtime/deps.js';
import { SNAPSHOT_TAG } from '../storage/volume-snapshots.js';
import type { BackupHealth } from './check.js';
import type { BackupHealthRequest } from './request.js';

export interface SnapshotResult {
  snapshotId: string;
  volumeId: string;
  startTime: string;
  expiresAt: string;
  /** Our earlier snapshots of the volume past their expiry, deleted now. */
  deleted: string[];
}

/**
 * After a healthy check only: CreateSnapshot of the backup volume, tagged as ours with an expiry,
 * then DeleteSnapshot of our snapshots of that volume whose expiry has passed (never one without
 * our tag, never the one just made).
 */
export async function snapshotBackupVolume(
  request: BackupHealthRequest,
  check: BackupHealth,
  deps: Pick<Deps, 'volumeSnapshots' | 'clock' | 'log'>,
): Promise<SnapshotResult | { skipped: string }> {
  if (!request.snapshot) return { skipped: 'no backup volume configured' };
  if (!check.verdict.ok) return { skipped: 'the check found problems' };
  const { volumeId, retentionDays } = request.snapshot;
  const now = deps.clock.now();
  const expiresAt = new Date(now + retentionDays * 86_400_000).toISOString();
  const made = await deps.volumeSnapshots.create(
    volumeId,
    `ghes-ops backup-health: backup volume after a healthy check${check.newestComplete ? ` (snapshot ${check.newestComplete.name})` : ''}`,
    { [SNAPSHOT_TAG]: volumeId, 'ghes-ops:expires-at': expiresAt, Name: 'ghes-ops backup volume' },
  );
  const deleted: string[] = [];
  for (const s of await deps.volumeSnapshots.list(volumeId, SNAPSHOT_TAG)) {
    const expiry = Date.parse(s.tags['ghes-ops:expires-at'] ?? '');
    if (s.snapshotId === made.snapshotId || s.tags[SNAPSHOT_TAG] !== volumeId || !(expiry < now)) continue;
    await deps.volumeSnapshots.delete(s.snapshotId);
    deleted.push(s.snapshotId);
  }
  deps.log.info('backup volume snapshot', { volumeId, snapshotId: made.snapshotId, deleted: deleted.length });
  return { snapshotId: made.snapshotId, volumeId, startTime: made.startTime, expiresAt, deleted };
}
