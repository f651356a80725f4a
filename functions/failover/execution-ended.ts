import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer, ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { onFailoverExecutionEnded } from '../../shared/failover/execution-ended.js';

/**
 * EventBridge "Step Functions Execution Status Change" (ABORTED, TIMED_OUT, FAILED): restores
 * service after a stop before promotion, and releases a lock the execution left.
 */
export const handler = lambdaHandler(
  'failoverExecutionEnded',
  (event) => stepEvent(event, ['detail']) as { detail: { executionArn?: unknown; status?: unknown } },
  async ({ detail }, deps) =>
    onFailoverExecutionEnded(
      { executionArn: String(detail.executionArn), status: String(detail.status) },
      deps,
    ),
  { params: ssmParameters, mailer: sesMailer, runner: ssmRunner },
);
