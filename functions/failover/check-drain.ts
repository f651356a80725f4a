import { failoverStep } from '../../shared/failover/step.js';
import { httpsAppliances, ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { checkDrain } from '../../shared/failover/fence.js';

/** One drain poll of the planned fence (counters, 30 s settle, every channel OK). */
export const handler = failoverStep('failoverCheckDrain', checkDrain, {
  runner: ssmRunner,
  http: httpsAppliances,
  params: ssmParameters,
});
