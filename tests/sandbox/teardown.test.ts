import { describe, expect, it } from '@jest/globals';
import { command, manualSandbox, run } from './helpers.js';

describe('ghe-repl-teardown and ghe-repl-decommission', () => {
  it('after a failover, the new primary removes the old one by UUID', async () => {
    const { sandbox, clock } = manualSandbox({ scenario: 'primary-down' });
    await run(sandbox, 'ghe-replica', command('ghe-repl-promote', '-y'));
    const old = sandbox.appliance('ghe-primary').uuid;
    expect(sandbox.appliance('ghe-replica').clusterNodes.map((n) => n.uuid)).toContain(old);
    const start = clock.now();
    const result = await run(sandbox, 'ghe-replica', command('ghe-repl-teardown', '-u', old));
    expect(result).toEqual({
      status: 'Success',
      exitCode: 0,
      stdout:
        `Removing ghe-primary (${old}) from the high availability configuration ...\n` +
        `  | git-server-${old} is evacuating\n` +
        `  | git-server-${old} is destroyed\n` +
        '  | Updating configuration ...\n' +
        `Success: ghe-primary (${old}) has been removed from the high availability configuration.\n`,
      stderr: '',
    });
    expect(clock.now() - start).toBe(30_000);
    expect(sandbox.appliance('ghe-replica').clusterNodes).toEqual([
      { uuid: sandbox.appliance('ghe-replica').uuid, hostname: 'ghe-replica' },
    ]);
  });

  it.each([
    [['-u', 'not-a-uuid'], 'is not a node UUID'],
    [
      ['-u', '00000000-0000-4000-8000-000000000000'],
      'Error: no node with UUID 00000000-0000-4000-8000-000000000000',
    ],
  ])('teardown %j fails: %s', async (args, message) => {
    const { sandbox } = manualSandbox();
    const result = await run(sandbox, 'ghe-primary', command('ghe-repl-teardown', ...args));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(message);
    expect(sandbox.appliance('ghe-primary').clusterNodes).toHaveLength(2);
  });

  it('a node cannot remove itself', async () => {
    const { sandbox } = manualSandbox();
    const self = sandbox.appliance('ghe-primary').uuid;
    const result = await run(sandbox, 'ghe-primary', command('ghe-repl-teardown', '-u', self));
    expect(result).toMatchObject({
      exitCode: 1,
      stderr: `Error: ${self} is this appliance (ghe-primary); it cannot remove itself.\n`,
    });
  });

  it('on a replica without -u: disables replica mode', async () => {
    const { sandbox } = manualSandbox();
    const result = await run(sandbox, 'ghe-replica', command('ghe-repl-teardown'));
    expect(result.exitCode).toBe(0);
    expect(
      result.stdout.endsWith(
        "Success: Replication configuration has been removed.\nRun `ghe-repl-setup' to re-enable replica mode.\n",
      ),
    ).toBe(true);
    expect(sandbox.appliance('ghe-replica')).toMatchObject({ role: 'standalone', replication: null });
    expect(sandbox.appliance('ghe-primary').clusterNodes.map((n) => n.hostname)).toEqual(['ghe-primary']);
    expect(sandbox.statusCode('ghe-replica')).toBe(200);
  });

  it('ghe-repl-decommission does not exist on 3.17 (command not found)', async () => {
    const { sandbox } = manualSandbox();
    const uuid = sandbox.appliance('ghe-replica').uuid;
    expect(await run(sandbox, 'ghe-primary', command('ghe-repl-decommission', uuid))).toEqual({
      status: 'Failed',
      exitCode: 127,
      stdout: '',
      stderr: 'bash: ghe-repl-decommission: command not found\n',
    });
  });

  it('ghe-repl-decommission UUID removes the node on 3.18', async () => {
    const { sandbox } = manualSandbox({ version: '3.18.0' });
    const uuid = sandbox.appliance('ghe-replica').uuid;
    const result = await run(sandbox, 'ghe-primary', command('ghe-repl-decommission', uuid));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      `Success: ghe-replica (${uuid}) has been removed from the high availability configuration.`,
    );
    expect(sandbox.appliance('ghe-primary').clusterNodes.map((n) => n.hostname)).toEqual(['ghe-primary']);
    expect(sandbox.appliance('ghe-replica').replication?.running).toBe(false);
    expect((await run(sandbox, 'ghe-primary', command('ghe-repl-decommission'))).exitCode).toBe(1);
  });
});
