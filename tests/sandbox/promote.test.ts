import { describe, expect, it } from '@jest/globals';
import { scaledClock } from '../../shared/clock.js';
import { ApplianceCommandTimeout } from '../../shared/errors.js';
import { Sandbox } from '../../local/sandbox/sandbox.js';
import { command, fixture, manualSandbox, run } from './helpers.js';

describe('ghe-repl-promote', () => {
  it('runs for its duration in virtual time on a scaled clock, then the replica is the primary', async () => {
    const clock = scaledClock(0.001);
    const sandbox = new Sandbox({ clock });
    const realStart = Date.now();
    const handle = await sandbox.runner.start('ghe-replica', command('ghe-repl-promote', '-y'));
    expect(JSON.parse(JSON.stringify(handle))).toEqual(handle);
    expect(handle).toMatchObject({ target: 'ghe-replica', command: 'ghe-repl-promote -y' });
    expect(await sandbox.runner.poll(handle)).toEqual({ done: false });
    // the old primary went into maintenance mode at once; the replica is not serving yet
    expect(sandbox.appliance('ghe-primary').maintenance.enabled).toBe(true);
    expect(sandbox.statusCode('ghe-primary')).toBe(503);
    expect(sandbox.statusCode('ghe-replica')).toBe(503);
    expect(sandbox.appliance('ghe-replica').busy).toEqual(['promote']);

    let result = await sandbox.runner.poll(handle);
    while (!result.done) {
      await clock.sleep(5_000);
      result = await sandbox.runner.poll(handle);
    }
    const virtualSeconds = (clock.now() - Date.parse(handle.startedAt)) / 1000;
    expect(virtualSeconds).toBeGreaterThanOrEqual(180);
    expect(virtualSeconds).toBeLessThan(240);
    expect(Date.now() - realStart).toBeLessThan(5_000);
    expect(result).toEqual({
      done: true,
      status: 'Success',
      exitCode: 0,
      stdout: fixture('promote-success.txt'),
      stderr: '',
    });

    const replica = sandbox.appliance('ghe-replica');
    expect(replica.role).toBe('primary');
    expect(replica.replication).toBeNull();
    expect(replica.maintenance.enabled).toBe(false);
    expect(sandbox.statusCode('ghe-replica')).toBe(200);
    expect(sandbox.statusCode('ghe-primary')).toBe(503);
    expect(sandbox.splitBrain()).toBe(false);
    const again = await sandbox.runner.run('ghe-replica', command('ghe-repl-status'));
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('ghe-replica is the primary');
  });

  it('with the primary down: warnings and a timeout, then success; the old primary comes back as a second primary', async () => {
    const { sandbox, clock } = manualSandbox({ scenario: 'primary-down' });
    const start = clock.now();
    const result = await run(sandbox, 'ghe-replica', command('ghe-repl-promote'));
    expect(result).toEqual({
      status: 'Success',
      exitCode: 0,
      stdout: fixture('promote-success.txt'),
      stderr: fixture('promote-primary-down.stderr.txt'),
    });
    expect(clock.now() - start).toBeGreaterThanOrEqual((180 + 10) * 1000);
    expect(sandbox.appliance('ghe-replica').role).toBe('primary');
    expect(sandbox.splitBrain()).toBe(false);
    sandbox.setUp('ghe-primary', true);
    expect(sandbox.appliance('ghe-primary')).toMatchObject({
      role: 'primary',
      maintenance: { enabled: false },
    });
    expect(sandbox.splitBrain()).toBe(true);
  });

  it('promote-fails: the known jq failure, a non-zero exit, replication left stopped', async () => {
    const { sandbox } = manualSandbox({ scenario: 'promote-fails' });
    const result = await run(sandbox, 'ghe-replica', command('ghe-repl-promote', '-y'));
    expect(result).toEqual({
      status: 'Failed',
      exitCode: 5,
      stdout: fixture('promote-fails.stdout.txt'),
      stderr: fixture('promote-fails.stderr.txt'),
    });
    expect(result.stderr).toContain('jq: error (at <stdin>:3): Cannot index string with string "node"');
    const replica = sandbox.appliance('ghe-replica');
    expect(replica.role).toBe('replica');
    expect(replica.replication?.running).toBe(false);
    expect(replica.busy).toEqual([]);
    expect(sandbox.statusCode('ghe-replica')).toBe(503);
    const status = await run(sandbox, 'ghe-replica', command('ghe-repl-status'));
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toContain('replication is not running');
  });

  it('promote-fails only bites while the old primary is unreachable', async () => {
    const { sandbox } = manualSandbox({ scenario: 'promote-fails' });
    sandbox.setUp('ghe-primary', true);
    const result = await run(sandbox, 'ghe-replica', command('ghe-repl-promote', '-y'));
    expect(result).toMatchObject({ exitCode: 0, stdout: fixture('promote-success.txt'), stderr: '' });
  });

  it('refuses to run on the primary or with unknown flags, and never prompts', async () => {
    const { sandbox } = manualSandbox();
    const onPrimary = await run(sandbox, 'ghe-primary', command('ghe-repl-promote', '-y'));
    expect(onPrimary).toMatchObject({ exitCode: 1, stdout: '' });
    expect(onPrimary.stderr).toContain('ghe-primary is not a replica');
    const badFlag = await run(sandbox, 'ghe-replica', command('ghe-repl-promote', '-f'));
    expect(badFlag.exitCode).toBe(1);
    expect(badFlag.stderr.split('\n')[0]).toBe('ghe-repl-promote: illegal option -- f');
    expect(sandbox.appliance('ghe-replica').role).toBe('replica');
    expect(sandbox.appliance('ghe-primary').maintenance.enabled).toBe(false);
  });

  it('run() gives up with ApplianceCommandTimeout and the appliance stops the command half way', async () => {
    const clock = scaledClock(0.001);
    const sandbox = new Sandbox({ clock });
    const started = clock.now();
    let error: unknown;
    try {
      await sandbox.runner.run('ghe-replica', command('ghe-repl-promote', '-y'), { timeoutSeconds: 60 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApplianceCommandTimeout);
    expect((error as Error).name).toBe('ApplianceCommandTimeout');
    expect((error as Error).message).toContain(
      'ghe-repl-promote -y did not finish on ghe-replica within 60 s',
    );
    expect((error as ApplianceCommandTimeout).details.stdout).toContain('Stopping replication ...');
    expect(clock.now() - started).toBeGreaterThanOrEqual(60_000);
    // killed at 60 s: the replica was not promoted, its busy flag is gone
    await clock.sleep(200_000);
    const replica = sandbox.appliance('ghe-replica');
    expect(replica.role).toBe('replica');
    expect(replica.busy).toEqual([]);
  });
});
