import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { teardownOldPrimary } from '../../shared/failover/teardown.js';

/** Optionally removes the old primary from the HA configuration by its UUID. */
export const handler = lambdaHandler(
  'failoverTeardown',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => teardownOldPrimary(state, deps),
  { runner: ssmRunner },
);
