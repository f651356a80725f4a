import { failoverStep } from '../../shared/failover/step.js';
import { sfnExecutions, ssmParameters } from '../../shared/aws/wiring.js';
import { acquireLock } from '../../shared/failover/lock.js';

/** Takes the failover lock (FailoverInProgress when another execution holds it). */
export const handler = failoverStep('failoverLock', (state, deps) => acquireLock(state.request, deps), {
  params: ssmParameters,
  executions: sfnExecutions,
});
