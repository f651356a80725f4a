import { describe, expect, it } from '@jest/globals';
import { command, manualSandbox, run } from './helpers.js';

describe('ghe-maintenance and GET /status', () => {
  it('sets, queries and unsets maintenance mode, and /status follows', async () => {
    const { sandbox } = manualSandbox();
    expect(sandbox.statusCode('ghe-primary')).toBe(200);
    expect(sandbox.statusCode('ghe-replica')).toBe(503);
    expect(await run(sandbox, 'ghe-primary', command('ghe-maintenance', '-q'))).toMatchObject({
      exitCode: 0,
      stdout: 'maintenance mode not set\n',
    });
    expect(await run(sandbox, 'ghe-primary', command('ghe-maintenance', '-s'))).toMatchObject({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    expect(await run(sandbox, 'ghe-primary', command('ghe-maintenance', '-q'))).toMatchObject({
      exitCode: 0,
      stdout: 'maintenance mode set\n',
    });
    expect(sandbox.appliance('ghe-primary').maintenance.enabled).toBe(true);
    expect(sandbox.statusCode('ghe-primary')).toBe(503);
    await run(sandbox, 'ghe-primary', command('ghe-maintenance', '-u'));
    expect(sandbox.statusCode('ghe-primary')).toBe(200);
    expect(sandbox.appliance('ghe-primary').maintenance).toMatchObject({ enabled: false, since: null });
  });

  it('drains active git operations, MySQL queries and Resque jobs to zero over the drain time', async () => {
    const { sandbox, clock } = manualSandbox();
    expect(sandbox.appliance('ghe-primary').maintenance.drain).toEqual({
      gitOperations: 12,
      mysqlQueries: 233,
      resqueJobs: 54,
    });
    await run(sandbox, 'ghe-primary', command('ghe-maintenance', '-s'));
    const setAt = sandbox.appliance('ghe-primary').maintenance.since;
    expect(setAt).toBe('2025-06-02T09:00:00.000Z');
    clock.advance(10_000);
    const half = sandbox.appliance('ghe-primary').maintenance;
    expect(half.drain).toEqual({ gitOperations: 6, mysqlQueries: 117, resqueJobs: 27 });
    expect(half.drained).toBe(false);
    clock.advance(9_999);
    expect(sandbox.appliance('ghe-primary').maintenance.drained).toBe(false);
    clock.advance(1);
    expect(sandbox.appliance('ghe-primary').maintenance).toMatchObject({
      drain: { gitOperations: 0, mysqlQueries: 0, resqueJobs: 0 },
      drained: true,
    });
    // setting it again does not restart the drain
    await run(sandbox, 'ghe-primary', command('ghe-maintenance', '-s'));
    expect(sandbox.appliance('ghe-primary').maintenance.since).toBe(setAt);
  });

  it('refuses no flag, two flags, and unknown flags with a usage message', async () => {
    const { sandbox } = manualSandbox();
    for (const args of [[], ['-s', '-u'], ['-x']]) {
      const result = await run(sandbox, 'ghe-primary', command('ghe-maintenance', ...args));
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('Usage: ghe-maintenance');
    }
    expect(sandbox.appliance('ghe-primary').maintenance.enabled).toBe(false);
  });

  it('reports a down appliance as unreachable, and an unknown host too', () => {
    const { sandbox } = manualSandbox({ scenario: 'primary-down' });
    expect(sandbox.statusCode('ghe-primary')).toBe('unreachable');
    expect(sandbox.statusCode('ghe-replica')).toBe(503);
    expect(sandbox.statusCode('ghe-nowhere')).toBe('unreachable');
  });
});
