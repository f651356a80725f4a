import { failoverStep } from '../../shared/failover/step.js';
import { httpsAppliances, ssmRunner } from '../../shared/aws/wiring.js';
import { verifyFailover } from '../../shared/failover/verify.js';

/** One verification poll through the public name. */
export const handler = failoverStep('failoverVerify', verifyFailover, {
  runner: ssmRunner,
  http: httpsAppliances,
});
