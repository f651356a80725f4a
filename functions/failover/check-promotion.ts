import { failoverStep } from '../../shared/failover/step.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { checkPromotion } from '../../shared/failover/promote.js';

/** One poll of the running promotion. */
export const handler = failoverStep('failoverPromoteCheck', checkPromotion, { runner: ssmRunner });
