import { describe, expect, it } from '@jest/globals';
import { resetSandbox } from '../../local/sandbox/index.js';
import { localHttpApi } from '../../local/stack-api.js';
import { failoverParams } from '../../shared/failover/names.js';
import { failoverInput } from '../helpers/failover.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';

describe('sandbox reset', () => {
  it('a second failover after a reset succeeds again; without one it fails', async () => {
    const world = testWorld();
    const first = await runWorkflow(world, 'failover', failoverInput());
    expect(first.result.status).toBe('SUCCEEDED');
    expect(world.sandbox!.appliance('ghe-replica').role).toBe('primary');
    expect(world.cloud!.record()).toEqual({ type: 'CNAME', value: 'ghe-replica' });

    const again = await runWorkflow(world, 'failover', failoverInput());
    expect(again.result.status).toBe('FAILED');

    const done = await resetSandbox(world);
    expect(done).toMatchObject({ primary: 'ghe-primary', replica: 'ghe-replica' });
    expect(done.lines.join('\n')).toContain('ghe-repl-setup ghe-primary');
    const primary = world.sandbox!.appliance('ghe-primary');
    const replica = world.sandbox!.appliance('ghe-replica');
    expect(primary).toMatchObject({ role: 'primary', up: true });
    expect(primary.maintenance.enabled).toBe(false);
    expect(replica).toMatchObject({ role: 'replica', up: true });
    expect(replica.replication).toMatchObject({ primary: 'ghe-primary', running: true });
    expect(world.sandbox!.statusCode('ghe-primary')).toBe(200);
    expect(world.sandbox!.splitBrain()).toBe(false);
    expect(world.cloud!.record()).toEqual({ type: 'CNAME', value: 'ghe-primary' });
    expect(await world.deps.params.get(failoverParams(world.config).last)).toBeUndefined();

    const second = await runWorkflow(world, 'failover', failoverInput());
    expect(second.result.status).toBe('SUCCEEDED');
    expect(world.sandbox!.appliance('ghe-replica').role).toBe('primary');
  }, 60_000);

  it('applies the scenario again (primary-down stays a primary-down demo)', async () => {
    const world = testWorld({ scenario: 'primary-down' });
    world.sandbox!.setUp('ghe-primary', true);
    await resetSandbox(world);
    expect(world.sandbox!.appliance('ghe-primary').up).toBe(false);
    expect(world.sandbox!.appliance('ghe-replica').replication?.running).toBe(true);
  });

  it('POST /sandbox/reset: 200 with what was done; 409 while a failover runs', async () => {
    const world = testWorld({ timeScale: 0.01 });
    const server = localHttpApi(world);
    const { url } = await server.listen(0, '127.0.0.1');
    try {
      const ok = await fetch(`${url}/sandbox/reset`, { method: 'POST' });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { lines: string[] }).lines.length).toBeGreaterThan(2);

      const { executionArn } = await world.engine.startExecution(
        'failover',
        failoverInput({ requireApproval: true }),
        'running-one',
      );
      const refused = await fetch(`${url}/sandbox/reset`, { method: 'POST' });
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { message: string }).message).toContain(
        'A failover is running (running-one)',
      );
      await world.engine.stopExecution(executionArn, 'Test', 'done');
    } finally {
      await server.close();
      await world.bus.settled();
    }
  }, 30_000);
});
