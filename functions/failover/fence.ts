import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ec2Instances, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { fencePrimary } from '../../shared/failover/fence.js';

/** Fences the old primary (maintenance mode; in unplanned mode also EC2 StopInstances when asked). */
export const handler = lambdaHandler(
  'failoverFence',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => fencePrimary(state, deps),
  { runner: ssmRunner, instances: ec2Instances },
);
