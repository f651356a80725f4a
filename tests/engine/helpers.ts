import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaledClock, type Clock } from '../../shared/clock.js';
import { LocalEngine, type LocalEngineOptions } from '../../local/engine/local-engine.js';
import {
  serverlessFunctionResolver,
  type FunctionResolver,
  type LambdaHandler,
} from '../../local/engine/lambda-invoker.js';

/** tests/fixtures: statemachines/, functions/ and serverless.yml for the engine tests. */
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

const engines: LocalEngine[] = [];

/**
 * An engine on the fixtures. `handlers` bind function keys to inline handlers; other keys resolve
 * through tests/fixtures/serverless.yml. Call `closeEngines()` in afterEach.
 */
export function fixtureEngine(
  options: Partial<LocalEngineOptions> & {
    scale?: number;
    handlers?: Record<string, LambdaHandler | Awaited<ReturnType<FunctionResolver>>>;
  } = {},
): LocalEngine {
  const { scale = 1, handlers = {}, ...rest } = options;
  const fromYaml = serverlessFunctionResolver(FIXTURES);
  const clock: Clock = rest.clock ?? scaledClock(scale);
  const engine = new LocalEngine({
    root: FIXTURES,
    clock,
    resolveFunction: (key) => handlers[key] ?? fromYaml(key),
    ...rest,
  });
  engines.push(engine);
  return engine;
}

export async function closeEngines(): Promise<void> {
  await Promise.all(engines.splice(0).map((e) => e.close()));
}

/** Polls `check` every 5 ms until it returns a value other than undefined (or fails after `ms`). */
export async function eventually<T>(check: () => T | undefined, ms = 2000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Catches the error of a promise (or a throwing function) to assert on it. */
export async function errorOf(action: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
