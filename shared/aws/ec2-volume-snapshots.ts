import { LazyEc2 } from './lazy-ec2.js';
import type { VolumeSnapshot, VolumeSnapshots } from '../storage/volume-snapshots.js';
import { maskedAwsError } from './aws-error.js';

/** EC2 CreateSnapshot / DescribeSnapshots (own, by volume and tag key) / DeleteSnapshot. */
export class Ec2VolumeSnapshots extends LazyEc2 implements VolumeSnapshots {
  async create(volumeId: string, description: string, tags: Record<string, string>): Promise<VolumeSnapshot> {
    const { sdk, client } = await this.sdk();
    try {
      const out = await client.send(
        new sdk.CreateSnapshotCommand({
          VolumeId: volumeId,
          Description: description,
          TagSpecifications: [
            { ResourceType: 'snapshot', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
          ],
        }),
      );
      return {
        snapshotId: out.SnapshotId ?? '',
        volumeId: out.VolumeId ?? volumeId,
        startTime: (out.StartTime ?? new Date()).toISOString(),
        state: out.State ?? 'pending',
        tags: Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      };
    } catch (err) {
      throw maskedAwsError(err, `EC2 CreateSnapshot of ${volumeId} failed`, []);
    }
  }

  async list(volumeId: string, tagKey: string): Promise<VolumeSnapshot[]> {
    const { sdk, client } = await this.sdk();
    const out: VolumeSnapshot[] = [];
    let NextToken: string | undefined;
    try {
      do {
        const page = await client.send(
          new sdk.DescribeSnapshotsCommand({
            OwnerIds: ['self'],
            Filters: [
              { Name: 'volume-id', Values: [volumeId] },
              { Name: 'tag-key', Values: [tagKey] },
            ],
            ...(NextToken ? { NextToken } : {}),
          }),
        );
        for (const s of page.Snapshots ?? [])
          out.push({
            snapshotId: s.SnapshotId ?? '',
            volumeId: s.VolumeId ?? volumeId,
            startTime: (s.StartTime ?? new Date(0)).toISOString(),
            state: s.State ?? 'unknown',
            tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
          });
        NextToken = page.NextToken;
      } while (NextToken);
    } catch (err) {
      throw maskedAwsError(err, `EC2 DescribeSnapshots of ${volumeId} failed`, []);
    }
    return out;
  }

  async delete(snapshotId: string): Promise<void> {
    const { sdk, client } = await this.sdk();
    try {
      await client.send(new sdk.DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    } catch (err) {
      throw maskedAwsError(err, `EC2 DeleteSnapshot ${snapshotId} failed`, []);
    }
  }
}
