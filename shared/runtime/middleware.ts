import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { getDeps } from './deps.js';

/** The one place middleware is composed: logs a failing step's error name and message (never its input). */
export function errorLogger(fn: string): middy.MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    onError: async (request) => {
      const error = request.error;
      if (!error) return;
      const { log } = await getDeps();
      log.error('step failed', {
        fn,
        requestId: request.context?.awsRequestId,
        error: error.name,
        message: error.message,
      });
    },
  };
}
