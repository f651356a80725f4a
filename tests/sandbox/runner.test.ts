import { describe, expect, it } from '@jest/globals';
import { scaledClock } from '../../shared/clock.js';
import { ApplianceCommandTimeout, ApplianceUnreachable } from '../../shared/errors.js';
import { Sandbox } from '../../local/sandbox/sandbox.js';
import { SandboxRunner } from '../../local/sandbox/sandbox-runner.js';
import { command, manualSandbox, run } from './helpers.js';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('SandboxRunner', () => {
  it('is the sandbox.runner CommandRunner, and returns a JSON-serializable handle at once', async () => {
    const { sandbox } = manualSandbox();
    expect(sandbox.runner).toBeInstanceOf(SandboxRunner);
    const handle = await sandbox.runner.start('ghe-primary', command('uname', '-m'));
    const roundTripped = JSON.parse(JSON.stringify(handle)) as typeof handle;
    expect(roundTripped).toEqual({
      target: 'ghe-primary',
      commandId: handle.commandId,
      command: 'uname -m',
      startedAt: '2025-06-02T09:00:00.000Z',
    });
    expect(await sandbox.runner.poll(roundTripped)).toEqual({
      done: true,
      status: 'Success',
      exitCode: 0,
      stdout: 'x86_64\n',
      stderr: '',
    });
  });

  it('throws ApplianceUnreachable for an unknown target, and logs nothing', async () => {
    const { sandbox } = manualSandbox();
    const error = await rejection(sandbox.runner.start('ghe-nowhere', command('uname', '-m')));
    expect(error).toBeInstanceOf(ApplianceUnreachable);
    expect(error.name).toBe('ApplianceUnreachable');
    expect(error.message).toContain(
      'no such appliance in the sandbox (appliances: ghe-primary, ghe-replica)',
    );
    expect(await rejection(sandbox.runner.run('i-0123456789abcdef0', command('uname')))).toBeInstanceOf(
      ApplianceUnreachable,
    );
    expect(sandbox.commandLog).toEqual([]);
  });

  it('throws ApplianceUnreachable for a down appliance (primary-down), while the replica answers', async () => {
    const { sandbox } = manualSandbox({ scenario: 'primary-down' });
    const error = await rejection(sandbox.runner.run('ghe-primary', command('ghe-maintenance', '-q')));
    expect(error).toBeInstanceOf(ApplianceUnreachable);
    expect(error.message).toContain('ssh: connect to host ghe-primary port 122: Connection timed out');
    expect((await run(sandbox, 'ghe-replica', command('ghe-repl-status'))).exitCode).toBe(0);
    expect(sandbox.commandLog.map((e) => e.target)).toEqual(['ghe-replica']);
  });

  it('a command dies with exit 255 when its appliance goes down, and polls fail while it is down', async () => {
    const { sandbox } = manualSandbox();
    const handle = await sandbox.runner.start('ghe-primary', command('ghe-support-bundle'));
    sandbox.setUp('ghe-primary', false);
    expect(await rejection(sandbox.runner.poll(handle))).toBeInstanceOf(ApplianceUnreachable);
    sandbox.setUp('ghe-primary', true);
    const result = await sandbox.runner.poll(handle);
    expect(result).toMatchObject({ done: true, status: 'Failed', exitCode: 255 });
    expect(result.done && result.stderr).toContain('Connection to ghe-primary closed by remote host.');
  });

  it('unknown programs: bash: X: command not found, exit 127', async () => {
    const { sandbox } = manualSandbox();
    expect(await run(sandbox, 'ghe-primary', command('actions-sync', 'version'))).toEqual({
      status: 'Failed',
      exitCode: 127,
      stdout: '',
      stderr: 'bash: actions-sync: command not found\n',
    });
    const handle = sandbox.startLine('ghe-primary', '/usr/local/bin/ghe-nope -x');
    expect(sandbox.poll(handle)).toMatchObject({
      exitCode: 127,
      stderr: 'bash: /usr/local/bin/ghe-nope: No such file or directory\n',
    });
  });

  it('run() on a scaled clock polls with clock.sleep and times out with ApplianceCommandTimeout', async () => {
    const clock = scaledClock(0.001);
    const sandbox = new Sandbox({ clock });
    const realStart = Date.now();
    const error = await rejection(
      sandbox.runner.run('ghe-primary', command('ghe-support-bundle'), { timeoutSeconds: 30 }),
    );
    expect(error).toBeInstanceOf(ApplianceCommandTimeout);
    expect(Date.now() - realStart).toBeLessThan(2_000);
    expect(sandbox.bundles).toEqual([]);
    const log = sandbox.commandLog;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ target: 'ghe-primary', line: 'ghe-support-bundle', refused: null });
  });

  it('run() uses its own limit when none is given, and cancels the command', async () => {
    const { sandbox } = manualSandbox();
    const runner = new SandboxRunner(sandbox, { runTimeoutSeconds: 50, pollIntervalSeconds: 7 });
    const error = await rejection(runner.run('ghe-replica', command('ghe-repl-promote', '-y')));
    expect(error).toBeInstanceOf(ApplianceCommandTimeout);
    expect(error.message).toContain('within 50 s');
  });

  it('poll() rejects a handle this sandbox did not start', async () => {
    const { sandbox } = manualSandbox();
    const other = manualSandbox().sandbox;
    const handle = await other.runner.start('ghe-primary', command('uname'));
    await expect(sandbox.runner.poll(handle)).rejects.toThrow('it was not started by this sandbox');
  });

  it('logs every line each appliance received, in order, with virtual times', async () => {
    const { sandbox, clock } = manualSandbox();
    await run(sandbox, 'ghe-primary', command('ghe-maintenance', '-s'));
    clock.advance(5_000);
    await run(sandbox, 'ghe-replica', command('cat', '/data/user/common/uuid'));
    expect(sandbox.commandLog.map((e) => [e.seq, e.at, e.target, e.line])).toEqual([
      [1, '2025-06-02T09:00:00.000Z', 'ghe-primary', 'ghe-maintenance -s'],
      [2, '2025-06-02T09:00:05.000Z', 'ghe-replica', 'cat /data/user/common/uuid'],
    ]);
    expect(sandbox.appliance('ghe-replica').commandLog.map((e) => e.line)).toEqual([
      'cat /data/user/common/uuid',
    ]);
    expect(Object.isFrozen(sandbox.appliance('ghe-replica'))).toBe(true);
  });
});
