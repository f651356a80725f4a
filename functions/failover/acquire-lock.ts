import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sfnExecutions, ssmParameters } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { acquireLock } from '../../shared/failover/lock.js';

/** Takes the failover lock (FailoverInProgress when another execution holds it). */
export const handler = lambdaHandler(
  'failoverLock',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => acquireLock(state.request, deps),
  { params: ssmParameters, executions: sfnExecutions },
);
