/**
 * actions-sync: 50 actions, each taking a fixed simulated time in the sandbox, synced through the
 * real ASL (local engine) at concurrency 1, 4 and 8. Prints the wall time and the ratio against
 * the ideal (N x time per action / concurrency): 1.00 would be perfect parallelism with no
 * overhead. Per action the state machine polls every 10 virtual seconds, so an action of 20
 * virtual seconds is seen done at its second poll.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../local/config.js';
import { createLocalWorld } from '../local/world.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = 50;
const SECONDS_PER_ACTION = 20;
const SCALE = 0.002; // 20 virtual s = 40 ms real
const list = Array.from({ length: N }, (_, i) => `actions/bench-action-${i}`).join('\n');

async function once(concurrency: number): Promise<number> {
  const config = defaultConfig(ROOT);
  config.local.stateDir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-bench-'));
  config.local.timeScale = SCALE;
  const world = createLocalWorld({ root: ROOT, config, inMemory: true });
  world.actionsSync!.sim.secondsPerAction = SECONDS_PER_ACTION;
  try {
    const t = performance.now();
    const { executionArn } = await world.engine.startExecution('actions-sync', { list, concurrency });
    const result = await world.engine.waitForExecution(executionArn);
    const wall = performance.now() - t;
    if (result.status !== 'SUCCEEDED') throw new Error(`run failed: ${result.error} ${String(result.cause)}`);
    return wall;
  } finally {
    await world.close();
  }
}

const perAction = SECONDS_PER_ACTION * 1000 * SCALE;
console.log(
  `${N} actions, ${SECONDS_PER_ACTION} virtual s each (${perAction} ms real at time scale ${SCALE})`,
);
console.log('concurrency  wall (ms)  ideal (ms)  ideal/wall');
for (const c of [1, 4, 8]) {
  const wall = await once(c);
  const ideal = (N * perAction) / c;
  console.log(
    `${String(c).padStart(11)}  ${wall.toFixed(0).padStart(9)}  ${ideal.toFixed(0).padStart(10)}  ${(ideal / wall).toFixed(2).padStart(10)}`,
  );
}
