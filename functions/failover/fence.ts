import { failoverStep } from '../../shared/failover/step.js';
import { ec2Instances, ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { fencePrimary } from '../../shared/failover/fence.js';

/** Fences the old primary (maintenance mode; in unplanned mode also EC2 StopInstances when asked). */
export const handler = failoverStep('failoverFence', fencePrimary, {
  runner: ssmRunner,
  instances: ec2Instances,
  params: ssmParameters,
});
