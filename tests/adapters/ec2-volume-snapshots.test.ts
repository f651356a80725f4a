import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Ec2VolumeSnapshots } from '../../shared/aws/ec2-volume-snapshots.js';

const ec2 = mockClient(EC2Client);
const VOL = 'vol-0123456789abcdef0';
beforeEach(() => {
  ec2.reset();
});
const snaps = (): Ec2VolumeSnapshots => new Ec2VolumeSnapshots(new EC2Client({}));

describe('Ec2VolumeSnapshots', () => {
  it('creates a snapshot with its tags at creation (TagSpecifications)', async () => {
    ec2.on(CreateSnapshotCommand).resolves({
      SnapshotId: 'snap-0abc',
      VolumeId: VOL,
      StartTime: new Date('2026-01-01T00:00:00Z'),
      State: 'pending',
      Tags: [{ Key: 'ghes-ops:backup-volume', Value: VOL }],
    });
    const made = await snaps().create(VOL, 'after a healthy check', {
      'ghes-ops:backup-volume': VOL,
      Name: 'x',
    });
    expect(made).toEqual({
      snapshotId: 'snap-0abc',
      volumeId: VOL,
      startTime: '2026-01-01T00:00:00.000Z',
      state: 'pending',
      tags: { 'ghes-ops:backup-volume': VOL },
    });
    expect(ec2).toHaveReceivedCommandWith(CreateSnapshotCommand, {
      VolumeId: VOL,
      Description: 'after a healthy check',
      TagSpecifications: [
        {
          ResourceType: 'snapshot',
          Tags: [
            { Key: 'ghes-ops:backup-volume', Value: VOL },
            { Key: 'Name', Value: 'x' },
          ],
        },
      ],
    });
  });

  it("lists this account's snapshots of the volume with the tag, every page", async () => {
    ec2
      .on(DescribeSnapshotsCommand)
      .resolvesOnce({
        Snapshots: [{ SnapshotId: 'snap-1', VolumeId: VOL, State: 'completed' }],
        NextToken: 'n',
      })
      .resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-2', VolumeId: VOL, State: 'completed' }] });
    const list = await snaps().list(VOL, 'ghes-ops:backup-volume');
    expect(list.map((s) => s.snapshotId)).toEqual(['snap-1', 'snap-2']);
    expect(ec2).toHaveReceivedNthCommandWith(1, DescribeSnapshotsCommand, {
      OwnerIds: ['self'],
      Filters: [
        { Name: 'volume-id', Values: [VOL] },
        { Name: 'tag-key', Values: ['ghes-ops:backup-volume'] },
      ],
    });
    expect(ec2).toHaveReceivedNthCommandWith(2, DescribeSnapshotsCommand, { NextToken: 'n' });
  });

  it('deletes one snapshot, and keeps the AWS error name on failure', async () => {
    ec2.on(DeleteSnapshotCommand).resolves({});
    await snaps().delete('snap-1');
    expect(ec2).toHaveReceivedCommandWith(DeleteSnapshotCommand, { SnapshotId: 'snap-1' });
    ec2
      .on(DeleteSnapshotCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation' }));
    await expect(snaps().delete('snap-9')).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });
});
