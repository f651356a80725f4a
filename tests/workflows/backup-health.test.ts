import { describe, expect, it } from '@jest/globals';
import { causeMessage } from '../../shared/errors.js';
import { parseDfPercent, snapshotTime } from '../../shared/backup-health/check.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';

type Output = {
  check: {
    findings: { error: string }[];
    newestComplete?: { ageHours: number };
    runs: { command: string }[];
  };
  notification: { outcome: string };
};
const linesOn = (world: ReturnType<typeof testWorld>, host: string): string[] =>
  world.sandbox!.commandLog.filter((c) => c.target === host).map((c) => c.line);

describe('backup-health workflow (real ASL, local engine, sandbox backup-utils host)', () => {
  it('finds healthy backups with read-only commands on the backup host only', async () => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'backup-health', {});
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as Output;
    expect(output.check.findings).toEqual([]);
    expect(output.check.newestComplete!.ageHours).toBeLessThan(5);
    expect(output.notification.outcome).toBe('healthy');
    expect(linesOn(world, 'ghe-backup')).toEqual([
      'ls -1 /data/backup-utils/data',
      'find /data/backup-utils/data -mindepth 2 -maxdepth 2 -name incomplete',
      'readlink /data/backup-utils/data/current',
      'df -P /data/backup-utils/data',
      'ghe-host-check',
    ]);
    expect(linesOn(world, 'ghe-primary')).toEqual([]);
    expect(world.outbox!.sent[0]!.subject).toMatch(
      /^\[ghes-ops\] GHES backups: healthy, newest \d+(\.\d)? h old$/,
    );
  });

  it.each([
    ['backup-stale', 'BackupStale', /30(\.\d)? hours old, more than 26/, /cron job/],
    ['backup-incomplete', 'BackupIncomplete', /is incomplete/, /remove the incomplete snapshot/],
    [
      'backup-stale-lock',
      'BackupLockStale',
      /in-progress is 9(\.\d)? hours old/,
      /remove \/data\/backup-utils\/data\/in-progress/,
    ],
    ['backup-disk-full', 'BackupDiskFull', /94% full/, /GHE_NUM_SNAPSHOTS/],
  ])('%s: fails with %s after mailing what was found and what to do', async (scenario, error, found, fix) => {
    const world = testWorld({ scenario });
    const { result } = await runWorkflow(world, 'backup-health', { notify: ['backup@example.com'] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(error);
    expect(causeMessage(result.cause)).toMatch(found);
    const mail = world.outbox!.sent[0]!;
    expect(mail.subject).toBe(`[ghes-ops] GHES backups: PROBLEM (${error})`);
    expect(mail.text).toMatch(found);
    expect(mail.text).toMatch(fix);
    expect(mail.to).toEqual(['backup@example.com']);
  });

  it('honours the thresholds of the input', async () => {
    const world = testWorld({ scenario: 'backup-stale' });
    const { result } = await runWorkflow(world, 'backup-health', { maxAgeHours: 48 });
    expect(result.status).toBe('SUCCEEDED');
  });

  it('fails with ApplianceUnreachable when the backup host is down, and notifies', async () => {
    const world = testWorld();
    world.sandbox!.setUp('ghe-backup', false);
    const { result } = await runWorkflow(world, 'backup-health', {});
    expect(result.error).toBe('ApplianceUnreachable');
    expect(world.outbox!.sent[0]!.subject).toBe(
      '[ghes-ops] GHES backups: check FAILED (ApplianceUnreachable)',
    );
  });

  it('checks the built-in backup service on the primary; ghe-backup-healthcheck is missing before 3.22', async () => {
    const world = testWorld({
      config: (c) => {
        c.runbook!.backup = { mode: 'builtin', dataDir: '/unused', snapshotRetentionDays: 7 };
      },
    });
    const { result } = await runWorkflow(world, 'backup-health', {});
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as Output & {
      check: { lastLog: { result: string }; healthcheck: { exitCode: number } };
    };
    expect(output.check.lastLog.result).toBe('success');
    expect(output.check.healthcheck.exitCode).toBe(127);
    expect(linesOn(world, 'ghe-primary')).toEqual([
      'ls -1 /var/log/github-backup',
      expect.stringMatching(/^tail -n 40 \/var\/log\/github-backup\/backup-verbose-\d{8}\.log$/),
      'stat -c %Y /data/user/common/backup_utils_in_progress',
      'ghe-backup-healthcheck',
    ]);
  });

  it('reports a failed built-in backup from its log', async () => {
    const world = testWorld({
      config: (c) => {
        c.runbook!.backup = { mode: 'builtin', dataDir: '/unused', snapshotRetentionDays: 7 };
      },
    });
    const today = new Date(world.clock.now()).toISOString().slice(0, 10).replace(/-/g, '');
    world.sandbox!.writeFile(
      'ghe-primary',
      `/var/log/github-backup/backup-verbose-${today}.log`,
      'Starting backup\nError: Snapshot incomplete. Some steps failed: repositories\n',
    );
    const { result } = await runWorkflow(world, 'backup-health', {});
    expect(result.error).toBe('BackupFailed');
    expect(causeMessage(result.cause)).toContain('Snapshot incomplete');
  });
});

describe('backup-health parsers', () => {
  it('reads df -P capacity and backup-utils snapshot names', () => {
    const df =
      'Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/nvme1n1     524288000 492830720  31457280      94% /data\n';
    expect(parseDfPercent(df)).toBe(94);
    expect(parseDfPercent('garbage')).toBeUndefined();
    expect(snapshotTime('20250602T090000')).toBe(Date.UTC(2025, 5, 2, 9, 0, 0));
    expect(snapshotTime('current')).toBeUndefined();
    expect(snapshotTime('20250602T0900001')).toBeUndefined();
  });
});

describe('backup-health EBS snapshot', () => {
  const VOL = 'vol-0123456789abcdef0';

  it('snapshots the backup volume after a healthy check, tagged with an expiry, and deletes only our expired ones', async () => {
    const world = testWorld();
    const snaps = world.runbook.snapshots!;
    const old = await snaps.create(VOL, 'old', {
      'ghes-ops:backup-volume': VOL,
      'ghes-ops:expires-at': '2020-01-01T00:00:00.000Z',
    });
    const fresh = await snaps.create(VOL, 'fresh', {
      'ghes-ops:backup-volume': VOL,
      'ghes-ops:expires-at': '2999-01-01T00:00:00.000Z',
    });
    const manual = await snaps.create(VOL, 'by hand', { Name: 'keep me' });
    const { result } = await runWorkflow(world, 'backup-health', {});
    expect(result.status).toBe('SUCCEEDED');
    const snapshot = (
      result.output as { snapshot: { snapshotId: string; deleted: string[]; expiresAt: string } }
    ).snapshot;
    expect(snapshot.deleted).toEqual([old.snapshotId]);
    expect([...snaps.snapshots.keys()].sort()).toEqual(
      [fresh.snapshotId, manual.snapshotId, snapshot.snapshotId].sort(),
    );
    const made = snaps.snapshots.get(snapshot.snapshotId)!;
    expect(made.tags).toMatchObject({
      'ghes-ops:backup-volume': VOL,
      'ghes-ops:expires-at': snapshot.expiresAt,
    });
    expect(Date.parse(snapshot.expiresAt) - world.clock.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(world.outbox!.sent[0]!.text).toContain(`EBS snapshot: ${snapshot.snapshotId} of ${VOL}`);
  });

  it('takes no snapshot after an unhealthy check, or when the input turns it off', async () => {
    const world = testWorld({ scenario: 'backup-stale' });
    const { history } = await runWorkflow(world, 'backup-health', {});
    expect(history.some((e) => e.type === 'StateEntered' && e.stateName === 'SnapshotBackupVolume')).toBe(
      false,
    );
    expect(world.runbook.snapshots!.snapshots.size).toBe(0);
    expect(world.outbox!.sent[0]!.text).toContain('not taken (the check found problems)');
    const healthy = testWorld();
    await runWorkflow(healthy, 'backup-health', { snapshot: false });
    expect(healthy.runbook.snapshots!.snapshots.size).toBe(0);
  });
});
