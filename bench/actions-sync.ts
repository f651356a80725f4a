/**
 * actions-sync: 50 actions, each taking a fixed simulated time in the sandbox, synced through the
 * real ASL (local engine) at concurrency 1, 4 and 8.
 *
 * ideal/wall is measured over the sync phase (the SyncActions Map, from its history events on the
 * engine's clock): ideal = ceil(N / concurrency) x time per action (50 equal calls on 8 workers
 * take 7 rounds, not 6.25), so 1.00 is perfect parallelism with every completion noticed at once. The fixed cost around it (list validation, preflight, report:
 * the same at any concurrency) is printed separately. Completion is noticed by polls that start
 * 2 s after the start and then come every 15% of the elapsed time (2 s to 10 s), see
 * shared/actions-sync/sync.ts. Target (issue 18): ideal/wall >= 0.8 at concurrency 4 and 8.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../local/config.js';
import { createLocalWorld } from '../local/world.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = 50;
const SECONDS_PER_ACTION = 13;
// 13 virtual s = 260 ms real. A call length that is no multiple of a poll interval (a 20 s call
// polled every 10 s is seen at once by luck). At this scale the local engine's own work per state
// (a few ms real on a shared machine, i.e. a few tenths of a virtual second) stays small against
// a poll interval, as Step Functions' transitions (tens of ms) are against real actions-sync calls.
const SCALE = 0.02;
const TARGET = 0.8;
const list = Array.from({ length: N }, (_, i) => `actions/bench-action-${i}`).join('\n');

interface Run {
  /** Virtual ms of the sync phase (the Map state). */
  syncMs: number;
  /** Virtual ms of the whole execution. */
  totalMs: number;
  polls: number;
}

async function once(concurrency: number): Promise<Run> {
  const config = defaultConfig(ROOT);
  config.local.stateDir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-bench-'));
  config.local.timeScale = SCALE;
  const world = createLocalWorld({ root: ROOT, config, inMemory: true });
  world.actionsSync!.sim.secondsPerAction = SECONDS_PER_ACTION;
  try {
    const { executionArn } = await world.engine.startExecution('actions-sync', { list, concurrency });
    const result = await world.engine.waitForExecution(executionArn);
    if (result.status !== 'SUCCEEDED') throw new Error(`run failed: ${result.error} ${String(result.cause)}`);
    // Workflow time (the virtual clock the Wait states follow), not the wall-clock timestamps.
    const history = world.engine.getExecutionHistory(executionArn);
    const at = (type: string, state?: string): number => {
      const e = history.find((h) => h.type === type && (state === undefined || h.stateName === state));
      if (!e) throw new Error(`no ${type} ${state ?? ''} in the history`);
      return Date.parse(e.workflowTimestamp);
    };
    const ended = history.at(-1)!;
    return {
      syncMs: at('StateExited', 'SyncActions') - at('StateEntered', 'SyncActions'),
      totalMs: Date.parse(ended.workflowTimestamp) - at('ExecutionStarted'),
      polls: history.filter((h) => h.type === 'StateEntered' && h.stateName === 'CheckSync').length,
    };
  } finally {
    await world.close();
  }
}

const lpad = (s: string, n: number): string => s.padStart(n);
console.log(
  `${N} actions, ${SECONDS_PER_ACTION} virtual s each (${SECONDS_PER_ACTION * 1000 * SCALE} ms real at time scale ${SCALE}); target ideal/wall >= ${TARGET} at concurrency 4 and 8`,
);
console.log(
  'concurrency  sync (virtual s)  ideal (virtual s)  ideal/wall  polls/action  whole run (virtual s)  target',
);
for (const c of [1, 4, 8]) {
  const run = await once(c);
  // Equal calls on c workers need ceil(N / c) rounds however well they are scheduled.
  const ideal = Math.ceil(N / c) * SECONDS_PER_ACTION;
  const ratio = ideal / (run.syncMs / 1000);
  const targeted = c >= 4;
  console.log(
    lpad(String(c), 11) +
      lpad((run.syncMs / 1000).toFixed(1), 18) +
      lpad(ideal.toFixed(1), 19) +
      lpad(ratio.toFixed(2), 12) +
      lpad((run.polls / N).toFixed(1), 14) +
      lpad((run.totalMs / 1000).toFixed(1), 23) +
      lpad(targeted ? (ratio >= TARGET ? 'ok' : 'OVER') : '-', 8),
  );
}
