import { lambdaHandler } from '../../shared/runtime/handler.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { parseFailoverRequest } from '../../shared/failover/request.js';

/** Validates the execution input (with the execution id from the context object); nothing runs on bad input. */
export const handler = lambdaHandler(
  'failoverValidate',
  (event) => stepEvent(event, ['input', 'execution', 'executionName']),
  async ({ input, execution, executionName }, deps) => ({
    request: parseFailoverRequest(input, deps.config, { id: String(execution), name: String(executionName) }),
  }),
);
