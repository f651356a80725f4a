import { failoverStep } from '../../shared/failover/step.js';
import { ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { restoreAfterFailure } from '../../shared/failover/restore.js';

/** Failure path, first: a planned failover that stopped before promotion takes maintenance mode off again. */
export const handler = failoverStep('failoverRestore', restoreAfterFailure, {
  runner: ssmRunner,
  params: ssmParameters,
});
