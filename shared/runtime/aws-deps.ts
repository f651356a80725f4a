import { configFromEnv } from '../config.js';
import { realClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { awsAdapters } from './aws-adapters.js';
import type { Deps } from './deps.js';

/**
 * Production dependencies. Configuration is read and checked once per cold start; the adapters are
 * the ones the function declared in its wiring, each created (and its SDK client loaded) on first use.
 */
export async function awsDeps(): Promise<Deps> {
  const config = await configFromEnv();
  return {
    config,
    clock: realClock,
    wallClock: realClock,
    log: createLogger({ fields: { stage: config.stage } }),
    ...awsAdapters(config),
  };
}
