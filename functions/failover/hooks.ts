import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { runHooks } from '../../shared/failover/hooks.js';
import type { FailoverRequest } from '../../shared/failover/request.js';

/** Runs the pre- or post-failover hooks (`phase` comes from the state machine). */
export const handler = lambdaHandler(
  'failoverHooks',
  (event) => stepEvent(event, ['phase', 'request']),
  async ({ phase, request }, deps) =>
    runHooks(request as FailoverRequest, phase === 'post' ? 'post' : 'pre', deps),
  { runner: ssmRunner },
);
