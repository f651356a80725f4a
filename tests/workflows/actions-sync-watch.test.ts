import { afterEach, describe, expect, it } from '@jest/globals';
import type { LocalWorld } from '../../local/world.js';
import { watchUpgrade } from '../../shared/actions-sync/watch.js';
import { testWorld } from '../helpers/local-world.js';

let world: LocalWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('actions-sync upgrade watch', () => {
  it('version changed: starts an actions-sync execution through the Executions adapter and records the version', async () => {
    world = testWorld({ scenario: 'actions-sync-version-changed', timeScale: 0.0005 });
    const result = await watchUpgrade({}, world.deps);
    expect(result).toEqual({
      installedVersion: '3.18.0',
      lastSeen: '3.17.2',
      started: 'arn:aws:states:local:000000000000:execution:actions-sync:upgrade-3-18-0',
    });
    expect(await world.deps.params.get('/ghes-ops/actions-sync/last-seen-version')).toBe('3.18.0');
    const done = await world.engine.waitForExecution(result.started!);
    expect(done.status).toBe('SUCCEEDED');
    expect(world.outbox!.sent[0]!.text).toContain('reason:      GHES upgraded from 3.17.2 to 3.18.0');
    // Same version again: nothing started.
    expect(await watchUpgrade({}, world.deps)).toEqual({ installedVersion: '3.18.0', lastSeen: '3.18.0' });
  });

  it('first observation only records the version', async () => {
    world = testWorld({ timeScale: 0.0005 });
    expect(await watchUpgrade({}, world.deps)).toEqual({ installedVersion: '3.17.2', lastSeen: null });
    expect(await world.deps.params.get('/ghes-ops/actions-sync/last-seen-version')).toBe('3.17.2');
  });
});
