import { failoverStep } from '../../shared/failover/step.js';
import { ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { startPromotion } from '../../shared/failover/promote.js';

/** Maintenance mode on the replica, then starts ghe-repl-promote -y and returns its handle. */
export const handler = failoverStep('failoverPromoteStart', startPromotion, {
  runner: ssmRunner,
  params: ssmParameters,
});
