import { describe, expect, it } from '@jest/globals';
import { replStatus } from '../../shared/appliance/ghe.js';
import { gitChannel, mysqlChannel } from '../../local/sandbox/replication-channels.js';
import { command, fixture, manualSandbox, run } from './helpers.js';

/** A Nagios-style channel line, or a detail line under -v/-vv, or the blank line between blocks. */
const LINE = /^(?:(?:OK|WARNING|CRITICAL): \S.*| {2}\| .*|)$/;

describe('ghe-repl-status', () => {
  it.each([
    ['healthy', [], 'repl-status-healthy.txt', 0],
    ['healthy', ['-v'], 'repl-status-healthy-v.txt', 0],
    ['healthy', ['-vv'], 'repl-status-healthy-vv.txt', 0],
    ['healthy', ['-v', '-v'], 'repl-status-healthy-vv.txt', 0],
    ['replica-lagging', [], 'repl-status-lagging.txt', 2],
    ['replica-lagging', ['-v'], 'repl-status-lagging-v.txt', 2],
    ['primary-down', [], 'repl-status-healthy.txt', 0],
    ['upload-fails', ['-vv'], 'repl-status-healthy-vv.txt', 0],
  ] as const)('%s %j prints %s byte for byte and exits %i', async (scenario, args, file, exitCode) => {
    const { sandbox } = manualSandbox({ scenario });
    const result = await run(sandbox, 'ghe-replica', command('ghe-repl-status', ...args));
    expect(result.stdout).toBe(fixture(file));
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(exitCode);
    expect(result.status).toBe(exitCode === 0 ? 'Success' : 'Failed');
  });

  it('is what the workflow builder replStatus(2) sends', async () => {
    const { sandbox } = manualSandbox();
    const result = await run(sandbox, 'ghe-replica', replStatus(2));
    expect(result.stdout).toBe(fixture('repl-status-healthy-vv.txt'));
    expect(sandbox.commandLog.map((e) => e.line)).toEqual(['ghe-repl-status -vv']);
  });

  it('exits 1 on a WARNING only, and 2 as soon as one channel is CRITICAL', async () => {
    const { sandbox } = manualSandbox();
    sandbox.setChannel('ghe-replica', gitChannel({ pendingRepos: 50, delaySeconds: 12 }));
    let result = await run(sandbox, 'ghe-replica', command('ghe-repl-status'));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      'WARNING: git replication is behind the primary by 50 repositories and/or gists\n',
    );
    sandbox.setChannel('ghe-replica', mysqlChannel({ primary: 'ghe-primary', delaySeconds: 400 }));
    result = await run(sandbox, 'ghe-replica', command('ghe-repl-status'));
    expect(result.exitCode).toBe(2);
    expect(result.stdout.split('\n')[0]).toBe('CRITICAL: mysql replication delay is 400s');
  });

  it('warns and exits 1 when replication is not running', async () => {
    const { sandbox } = manualSandbox();
    sandbox.setReplicationRunning('ghe-replica', false);
    const result = await run(sandbox, 'ghe-replica', command('ghe-repl-status', '-vv'));
    expect(result).toMatchObject({
      exitCode: 1,
      stdout: "WARNING: replication is not running. Run `ghe-repl-start' to start replicating.\n",
    });
  });

  it('says replication is not configured on the primary, exit 1, nothing on stdout', async () => {
    const { sandbox } = manualSandbox();
    const result = await run(sandbox, 'ghe-primary', command('ghe-repl-status'));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'Error: replica mode is not configured on this appliance (ghe-primary is the primary).\n' +
        'Run ghe-repl-status on the replica, or configure one with ghe-repl-setup.\n',
    );
  });

  it('refuses unknown options like bash getopts', async () => {
    const { sandbox } = manualSandbox();
    const result = await run(sandbox, 'ghe-replica', command('ghe-repl-status', '--json'));
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe('ghe-repl-status: illegal option -- -');
    expect(result.stdout).toBe('');
  });

  it('prints only lines of the Nagios grammar, like the newer phrasing parsers must also accept', async () => {
    const { sandbox } = manualSandbox({ scenario: 'replica-lagging' });
    const outputs = [
      (await run(sandbox, 'ghe-replica', command('ghe-repl-status', '-vv'))).stdout,
      fixture('repl-status-newer-phrasing.txt'),
    ];
    for (const out of outputs) {
      const lines = out.replace(/\n$/, '').split('\n');
      for (const line of lines) expect(line).toMatch(LINE);
    }
  });
});
