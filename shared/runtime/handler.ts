import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { getDeps, type Deps } from './deps.js';
import { errorLogger } from './middleware.js';

/**
 * Builds a Lambda handler: parse and validate the event, run the logic from `shared/`, return its
 * result. Errors propagate with their `name`, which Step Functions reports as the error type.
 */
export function lambdaHandler<I, O>(
  name: string,
  parse: (event: unknown) => I,
  run: (input: I, deps: Deps) => Promise<O>,
): middy.MiddyfiedHandler<unknown, O, Error, Context> {
  return middy<unknown, O, Error, Context>()
    .use(errorLogger(name))
    .handler(async (event, context) => {
      const deps = await getDeps();
      const log = deps.log.child({ fn: name, requestId: context?.awsRequestId });
      const input = parse(event);
      return run(input, { ...deps, log });
    });
}
