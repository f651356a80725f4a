import { failoverStep } from '../../shared/failover/step.js';
import { sesMailer } from '../../shared/aws/wiring.js';
import { notifyFailoverOutcome } from '../../shared/failover/outcome.js';

/** Emails the outcome and its timeline; returns the outcome the Fail state reports. */
export const handler = failoverStep('failoverNotify', notifyFailoverOutcome, { mailer: sesMailer });
