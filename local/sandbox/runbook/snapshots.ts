import type { VolumeSnapshot, VolumeSnapshots } from '../../../shared/storage/volume-snapshots.js';

/** EBS snapshots in memory, as EC2 keeps them for one account. */
export class SandboxVolumeSnapshots implements VolumeSnapshots {
  readonly snapshots = new Map<string, VolumeSnapshot>();
  private seq = 0;

  constructor(
    private readonly now: () => number,
    readonly volumes: Set<string>,
  ) {}

  async create(
    volumeId: string,
    _description: string,
    tags: Record<string, string>,
  ): Promise<VolumeSnapshot> {
    if (!this.volumes.has(volumeId))
      throw Object.assign(new Error(`InvalidVolume.NotFound: The volume '${volumeId}' does not exist.`), {
        name: 'InvalidVolume.NotFound',
      });
    const snapshotId = `snap-${(++this.seq).toString(16).padStart(17, '0')}`;
    const s = {
      snapshotId,
      volumeId,
      startTime: new Date(this.now()).toISOString(),
      state: 'pending',
      tags: { ...tags },
    };
    this.snapshots.set(snapshotId, s);
    return { ...s };
  }

  async list(volumeId: string, tagKey: string): Promise<VolumeSnapshot[]> {
    return [...this.snapshots.values()]
      .filter((s) => s.volumeId === volumeId && tagKey in s.tags)
      .map((s) => ({ ...s }));
  }

  async delete(snapshotId: string): Promise<void> {
    this.snapshots.delete(snapshotId);
  }
}
