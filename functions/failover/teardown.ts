import { failoverStep } from '../../shared/failover/step.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { teardownOldPrimary } from '../../shared/failover/teardown.js';

/** Optionally removes the old primary from the HA configuration by its UUID. */
export const handler = failoverStep('failoverTeardown', teardownOldPrimary, { runner: ssmRunner });
