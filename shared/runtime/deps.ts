import type { Config } from '../config.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { CommandRunner } from '../appliance/runner.js';
import type { ParameterStore } from '../params/parameter-store.js';
import type { Mailer } from '../mail/mailer.js';
import type { Executions } from '../executions/executions.js';

/**
 * Everything a step needs from the outside world, passed in. Lambdas get the AWS implementations
 * (`aws-deps.ts`, built lazily once per cold start); the local runtime installs its own with
 * `setDeps` before running any handler.
 */
export interface Deps {
  config: Config;
  clock: Clock;
  log: Logger;
  runner: CommandRunner;
  params: ParameterStore;
  mailer: Mailer;
  executions: Executions;
}

type Provider = () => Deps;

let provider: Provider | undefined;
let current: Deps | undefined;

/** Installs the dependencies handlers will use (local runtime and tests). */
export function setDeps(deps: Deps | Provider): void {
  provider = typeof deps === 'function' ? deps : () => deps;
  current = undefined;
}

/** The installed dependencies, or the AWS ones (imported on first use, once per cold start). */
export async function getDeps(): Promise<Deps> {
  if (current) return current;
  if (!provider) {
    const { awsDeps } = await import('./aws-deps.js');
    provider = awsDeps;
  }
  current = provider();
  return current;
}
