import { Ec2Instances } from '../../shared/aws/ec2-instances.js';
import { provideAwsAdapter } from '../../shared/runtime/aws-adapters.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { fencePrimary } from '../../shared/failover/fence.js';

provideAwsAdapter('instances', () => new Ec2Instances());

/** Fences the old primary (maintenance mode; in unplanned mode also EC2 StopInstances when asked). */
export const handler = lambdaHandler(
  'failoverFence',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => fencePrimary(state, deps),
);
