import { describe, expect, it } from '@jest/globals';
import { supportBundle } from '../../shared/appliance/ghe.js';
import { scaledClock } from '../../shared/clock.js';
import { Sandbox } from '../../local/sandbox/sandbox.js';
import { command, fixture, manualSandbox, run } from './helpers.js';

const STATUS = '/tmp/ghe-support-bundle-status';

describe('ghe-support-bundle and ghe-cluster-support-bundle', () => {
  it('runs ~120 virtual seconds on a scaled clock: status file running, then complete; upload recorded', async () => {
    const clock = scaledClock(0.001);
    const sandbox = new Sandbox({ clock });
    const realStart = Date.now();
    const cmd = supportBundle({ scope: 'primary', ticket: '1234567', extended: false });
    const handle = await sandbox.runner.start('ghe-primary', cmd, { timeoutSeconds: 3600 });
    expect(handle.command).toBe('ghe-support-bundle -t 1234567');
    expect(sandbox.readFile('ghe-primary', STATUS)).toBe('running\n');
    const cat = await sandbox.runner.run('ghe-primary', command('cat', STATUS));
    expect(cat).toEqual({ status: 'Success', exitCode: 0, stdout: 'running\n', stderr: '' });
    expect(sandbox.uploads).toEqual([]);

    let result = await sandbox.runner.poll(handle);
    while (!result.done) {
      await clock.sleep(2_000);
      result = await sandbox.runner.poll(handle);
    }
    expect(result).toMatchObject({ status: 'Success', exitCode: 0, stderr: '' });
    expect(result.done && result.stdout).toMatch(
      /^Creating support bundle for ghe-primary \(GitHub Enterprise Server 3\.17\.2\)/,
    );
    expect((clock.now() - Date.parse(handle.startedAt)) / 1000).toBeGreaterThanOrEqual(120 + 15);
    expect(Date.now() - realStart).toBeLessThan(5_000);
    expect(sandbox.readFile('ghe-primary', STATUS)).toBe('complete\n');
    expect(sandbox.uploads).toEqual([
      expect.objectContaining({
        appliance: 'ghe-primary',
        via: 'ghe-support-bundle',
        ticket: '1234567',
        size: sandbox.bundles[0]?.size,
      }),
    ]);
    expect(sandbox.bundles).toEqual([
      expect.objectContaining({
        appliance: 'ghe-primary',
        kind: 'single',
        period: '2days',
        extended: false,
        nodes: ['ghe-primary'],
      }),
    ]);
  });

  it('prints the documented-style progress byte for byte (manual clock, fixed timestamps)', async () => {
    const { sandbox, clock } = manualSandbox();
    const start = clock.now();
    const result = await run(sandbox, 'ghe-primary', command('ghe-support-bundle', '-t', '1234567'));
    expect(result).toEqual({
      status: 'Success',
      exitCode: 0,
      stdout: fixture('support-bundle-ticket.txt'),
      stderr: '',
    });
    expect(clock.now() - start).toBe((120 + 15) * 1000);
    const path = '/data/user/tmp/github-support-bundle-ghe-primary-20250602-090000.tgz';
    expect(sandbox.appliance('ghe-primary').files[path]?.size).toBe(sandbox.bundles[0]!.size);
    expect(sandbox.uploads[0]).toMatchObject({
      file: path,
      ticket: '1234567',
      at: '2025-06-02T09:02:15.000Z',
    });
  });

  it('cluster bundle: every node, same flags, fixture byte for byte', async () => {
    const { sandbox } = manualSandbox();
    const result = await run(
      sandbox,
      'ghe-primary',
      supportBundle({ scope: 'cluster', ticket: '7654321', period: '3days', extended: false }),
    );
    expect(result).toEqual({
      status: 'Success',
      exitCode: 0,
      stdout: fixture('cluster-support-bundle-ticket.txt'),
      stderr: '',
    });
    expect(sandbox.bundles[0]).toMatchObject({
      kind: 'cluster',
      period: '3days',
      nodes: ['ghe-primary', 'ghe-replica'],
    });
    expect(sandbox.uploads.map((u) => [u.via, u.ticket])).toEqual([
      ['ghe-cluster-support-bundle', '7654321'],
    ]);
  });

  it('cluster bundle skips a node that is down, with a warning', async () => {
    const { sandbox } = manualSandbox();
    sandbox.setUp('ghe-replica', false);
    const result = await run(sandbox, 'ghe-primary', command('ghe-cluster-support-bundle'));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('Warning: ghe-replica is unreachable; its data is not in the bundle.\n');
    expect(result.stdout).not.toContain('ghe-replica:');
    expect(sandbox.bundles[0]?.nodes).toEqual(['ghe-primary']);
    expect(sandbox.uploads).toEqual([]);
  });

  it('upload-fails: generation completes, the upload fails with a realistic error and exit 1', async () => {
    const { sandbox } = manualSandbox({ scenario: 'upload-fails' });
    const result = await run(sandbox, 'ghe-primary', command('ghe-support-bundle', '-t', '1234567'));
    expect(result).toEqual({
      status: 'Failed',
      exitCode: 1,
      stdout: fixture('support-bundle-upload-fails.stdout.txt'),
      stderr: fixture('support-upload-fails.stderr.txt'),
    });
    expect(sandbox.readFile('ghe-primary', STATUS)).toBe('complete\n');
    expect(sandbox.bundles).toHaveLength(1);
    expect(sandbox.uploads).toEqual([]);
  });

  it('-x is an 8-day extended bundle; -p sets the period; -u uploads without a ticket', async () => {
    const { sandbox } = manualSandbox();
    const x = await run(sandbox, 'ghe-primary', command('ghe-support-bundle', '-x'));
    expect(x.stdout.split('\n')[0]).toBe(
      'Creating support bundle for ghe-primary (GitHub Enterprise Server 3.17.2) with logs from the last 8 days (extended bundle) ...',
    );
    const p = await run(sandbox, 'ghe-primary', command('ghe-support-bundle', '-p', '12hours', '-u'));
    expect(p.stdout).toContain('with logs from the last 12 hours ...');
    expect(p.stdout).toContain('Uploading support bundle to GitHub Enterprise Support ...\n');
    expect(sandbox.bundles.map((b) => [b.period, b.extended])).toEqual([
      ['8days', true],
      ['12hours', false],
    ]);
    expect(sandbox.bundles[0]!.size).toBeGreaterThan(sandbox.bundles[1]!.size);
    expect(sandbox.uploads).toEqual([expect.objectContaining({ ticket: null, via: 'ghe-support-bundle' })]);
  });

  it('-o streams the bundle to stdout and the progress to stderr', async () => {
    const { sandbox } = manualSandbox();
    const result = await run(sandbox, 'ghe-primary', command('ghe-support-bundle', '-o'));
    expect(result.exitCode).toBe(0);
    expect(result.stdout.startsWith('\u001f\u008b')).toBe(true);
    expect(result.stderr).toContain('Creating support bundle for ghe-primary');
    expect(result.stderr).toContain('Support bundle written to standard output');
    expect(sandbox.bundles[0]?.path).toBeNull();
  });

  it.each([
    [['-z'], 'ghe-support-bundle: illegal option -- z'],
    [['-t'], 'ghe-support-bundle: option requires an argument -- t'],
    [
      ['-p', 'yesterday'],
      'Error: invalid period "yesterday": expected a number and a unit, e.g. 2days, 12hours.',
    ],
    [['-t', '12345x'], 'Error: invalid ticket number "12345x": expected digits, e.g. 1234567.'],
    [['extra'], 'ghe-support-bundle: unexpected argument extra'],
  ])('bad flags %j: usage error, exit 1, nothing generated', async (args, first) => {
    const { sandbox } = manualSandbox();
    const result = await run(sandbox, 'ghe-primary', command('ghe-support-bundle', ...args));
    expect(result).toMatchObject({ status: 'Failed', exitCode: 1, stdout: '' });
    expect(result.stderr.split('\n')[0]).toBe(first);
    expect(result.stderr).toContain('Usage: ghe-support-bundle [-h] [-o] [-p PERIOD] [-x] [-u] [-t TICKET]');
    expect(sandbox.bundles).toEqual([]);
    expect(sandbox.readFile('ghe-primary', STATUS)).toBeUndefined();
  });

  it('usage error output matches the fixture', async () => {
    const { sandbox } = manualSandbox();
    const result = await run(sandbox, 'ghe-primary', command('ghe-support-bundle', '-z'));
    expect(result.stderr).toBe(fixture('support-bundle-usage.txt'));
  });

  it('refuses a second bundle while one is running on the same node', async () => {
    const { sandbox } = manualSandbox();
    const first = sandbox.startLine('ghe-primary', 'ghe-support-bundle');
    const second = await run(sandbox, 'ghe-primary', command('ghe-support-bundle'));
    expect(second).toMatchObject({
      exitCode: 1,
      stderr: `Error: a support bundle is already being generated on ghe-primary (see ${STATUS}).\n`,
    });
    expect(sandbox.poll(first)).toEqual({ done: false });
  });

  it('slow: every duration x100, a bundle takes hours', async () => {
    const { sandbox, clock } = manualSandbox({ scenario: 'slow' });
    expect(sandbox.durations.supportBundle).toBe(12_000);
    const handle = sandbox.startLine('ghe-primary', 'ghe-support-bundle -t 1234567');
    clock.advance(3 * 3600 * 1000);
    expect(sandbox.poll(handle)).toEqual({ done: false });
    expect(sandbox.readFile('ghe-primary', STATUS)).toBe('running\n');
    clock.advance((12_000 + 1_500) * 1000 - 3 * 3600 * 1000);
    expect(sandbox.poll(handle)).toMatchObject({ done: true, exitCode: 0 });
    expect(sandbox.uploads).toHaveLength(1);
  });

  it('a bundle killed at its time limit leaves the status file at running and reports TimedOut', async () => {
    const { sandbox, clock } = manualSandbox();
    const handle = sandbox.startLine('ghe-primary', 'ghe-support-bundle -t 1234567', { timeoutSeconds: 60 });
    clock.advance(61_000);
    expect(sandbox.poll(handle)).toMatchObject({ done: true, status: 'TimedOut', exitCode: 124 });
    expect(sandbox.readFile('ghe-primary', STATUS)).toBe('running\n');
    expect(sandbox.appliance('ghe-primary').busy).toEqual([]);
    expect(sandbox.uploads).toEqual([]);
  });
});
