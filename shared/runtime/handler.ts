import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { getDeps, type Deps } from './deps.js';
import { errorLogger } from './middleware.js';
import { provideAwsAdapters, restrictToWiring, type AdapterKey, type Wiring } from './aws-adapters.js';
import { provideConfigParts, type ConfigParts } from '../config.js';

/**
 * Builds a Lambda handler: parse and validate the event, run the logic from `shared/`, return its
 * result. Errors propagate with their `name`, which Step Functions reports as the error type.
 * `wiring` declares the outside-world adapters the step uses (`shared/aws/wiring.ts`); any other
 * adapter throws a `ConfigError` when used, in AWS and locally alike.
 */
export function lambdaHandler<I, O>(
  name: string,
  parse: (event: unknown) => I,
  run: (input: I, deps: Deps) => Promise<O>,
  wiring: Wiring = {},
  options: {
    /** The optional configuration parts the step reads (`deps.config.serviceDesk`, `.githubApp`) and their parsers. */
    config?: ConfigParts;
  } = {},
): middy.MiddyfiedHandler<unknown, O, Error, Context> & {
  wiring: readonly AdapterKey[];
  configParts: readonly (keyof ConfigParts)[];
} {
  provideAwsAdapters(wiring);
  provideConfigParts(options.config ?? {});
  const declared = new Set(Object.keys(wiring) as AdapterKey[]);
  const handler = middy<unknown, O, Error, Context>()
    .use(errorLogger(name))
    .handler(async (event, context) => {
      const deps = await getDeps();
      const log = deps.log.child({ fn: name, requestId: context?.awsRequestId });
      const input = parse(event);
      return run(input, restrictToWiring({ ...deps, log }, declared, name));
    });
  return Object.assign(handler, {
    wiring: [...declared],
    configParts: Object.keys(options.config ?? {}) as (keyof ConfigParts)[],
  });
}
