import { failoverStep } from '../../shared/failover/step.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { preflight } from '../../shared/failover/preflight.js';

/** ghe-repl-status -vv on the replica: every channel parsed; ReplicationNotHealthy unless force. */
export const handler = failoverStep('failoverPreflight', (state, deps) => preflight(state.request, deps), {
  runner: ssmRunner,
});
