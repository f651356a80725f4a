import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { startPromotion } from '../../shared/failover/promote.js';

/** Maintenance mode on the replica, then starts ghe-repl-promote -y and returns its handle. */
export const handler = lambdaHandler(
  'failoverPromoteStart',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => startPromotion(state, deps),
  { runner: ssmRunner, params: ssmParameters },
);
