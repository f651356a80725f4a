import { afterAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig, type LocalConfig } from '../../local/config.js';
import { createLocalWorld, type LocalWorld, type WorldOptions } from '../../local/world.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let stateRoot: string | undefined;
/** One temp directory per test process for every world's state, removed when the process exits. */
function stateDir(): string {
  if (!stateRoot) {
    const root = mkdtempSync(path.join(tmpdir(), 'ghes-ops-test-'));
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    stateRoot = root;
  }
  return mkdtempSync(path.join(stateRoot, 'world-'));
}

/** A local world on the sandbox, 1000x faster than real time, with its state in a temp dir. */
export function testWorld(
  overrides: {
    scenario?: string;
    timeScale?: number;
    config?: (c: LocalConfig) => void;
    /** Sandbox options, e.g. `{ version: '3.18.1' }`. */
    sandbox?: WorldOptions['sandbox'];
  } = {},
): LocalWorld {
  const config = defaultConfig(ROOT);
  config.local.stateDir = stateDir();
  config.local.timeScale = overrides.timeScale ?? 0.001;
  config.local.scenario = overrides.scenario ?? 'healthy';
  overrides.config?.(config);
  const world = createLocalWorld({
    root: ROOT,
    config,
    inMemory: true,
    ...(overrides.sandbox ? { sandbox: overrides.sandbox } : {}),
  });
  worlds.push(world);
  return world;
}

// Functions an event started (the execution-ended rule, async invocations) finish before the test
// file's environment goes away.
const worlds: LocalWorld[] = [];
afterAll(async () => {
  for (const w of worlds.splice(0)) await w.bus.settled();
});

/** Starts an execution and waits for its end. */
export async function runWorkflow(world: LocalWorld, key: string, input: unknown, name?: string) {
  const { executionArn } = await world.engine.startExecution(key, input, name);
  const result = await world.engine.waitForExecution(executionArn);
  // The EventBridge rules of the execution's end (e.g. failoverExecutionEnded) have run too.
  await world.bus.settled();
  return { executionArn, result, history: world.engine.getExecutionHistory(executionArn) };
}
