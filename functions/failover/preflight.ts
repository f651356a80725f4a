import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { preflight } from '../../shared/failover/preflight.js';

/** ghe-repl-status -vv on the replica: every channel parsed; ReplicationNotHealthy unless force. */
export const handler = lambdaHandler(
  'failoverPreflight',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => preflight(state.request, deps),
  { runner: ssmRunner },
);
