import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { runHooks } from '../../shared/failover/hooks.js';
import { parseFailoverRequestState } from '../../shared/failover/state.js';
import { InputValidationError } from '../../shared/errors.js';

/** Runs the pre- or post-failover hooks (`phase` comes from the state machine). */
export const handler = lambdaHandler(
  'failoverHooks',
  (event) => {
    const { phase, request } = stepEvent(event, ['phase', 'request']);
    if (phase !== 'pre' && phase !== 'post')
      throw new InputValidationError(
        [
          {
            field: 'phase',
            problem: `must be "pre" or "post", got ${JSON.stringify(phase)}: fix the state machine definition`,
          },
        ],
        'step event',
      );
    return {
      phase: phase === 'post' ? ('post' as const) : ('pre' as const),
      request: parseFailoverRequestState(request),
    };
  },
  ({ phase, request }, deps) => runHooks(request, phase, deps),
  { runner: ssmRunner },
);
