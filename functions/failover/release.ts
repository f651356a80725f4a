import { failoverStep } from '../../shared/failover/step.js';
import { ssmParameters } from '../../shared/aws/wiring.js';
import { releaseFailover } from '../../shared/failover/release.js';

/** Releases this execution's lock (every path the state machine controls). */
export const handler = failoverStep('failoverRelease', releaseFailover, { params: ssmParameters });
