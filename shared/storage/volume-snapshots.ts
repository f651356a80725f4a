/**
 * EBS snapshots of the backup volume (backup-health, after a healthy check): GitHub recommends disk
 * snapshots on cloud platforms in addition to backups. Production: EC2 through the SDK
 * (shared/aws/ec2-volume-snapshots.ts); locally the sandbox's.
 */
export interface VolumeSnapshot {
  snapshotId: string;
  volumeId: string;
  startTime: string;
  state: string;
  tags: Record<string, string>;
}

export interface VolumeSnapshots {
  /** CreateSnapshot with the tags applied at creation. */
  create(volumeId: string, description: string, tags: Record<string, string>): Promise<VolumeSnapshot>;
  /** This account's snapshots of the volume that carry `tagKey`. */
  list(volumeId: string, tagKey: string): Promise<VolumeSnapshot[]>;
  delete(snapshotId: string): Promise<void>;
}

/** The tag that marks snapshots this workflow made (and may delete after the retention). */
export const SNAPSHOT_TAG = 'ghes-ops:backup-volume';
