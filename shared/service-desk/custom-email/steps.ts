import type { ErrorInfo } from '../../errors.js';
import { stepEvent } from '../../runtime/step-event.js';
import { Fields, PATTERNS } from '../../validate.js';
import { PROJECT_SLUG } from '../config.js';
import { AUTH_METHODS } from './settings.js';
import type { CheckResult, Verification } from './types.js';
import type { FinishInput } from './workflow.js';

/**
 * Input checks of the steps after the start. Their events are built by the ASL from what the
 * start step returned, so a bad one means the definition and the handlers disagree (or someone
 * started a step by hand): every problem is named in one InputValidationError.
 */

const TIME = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/;

export function parseVerificationStep(value: unknown): Verification {
  const f = new Fields(value, 'step event', 'verification');
  const email = { pattern: PATTERNS.email, hint: 'an email address' };
  const project = f.requiredString('project', { pattern: PROJECT_SLUG, hint: 'a project slug' });
  const address = f.requiredString('address', email);
  const verifyAddress = f.requiredString('verifyAddress', email);
  const deskAddress = f.requiredString('deskAddress', email);
  const triggeredBy = f.requiredString('triggeredBy', email);
  const triggeredAt = f.requiredString('triggeredAt', { pattern: TIME, hint: 'an ISO time' });
  const executionArn = f.requiredString('executionArn', { maxLength: 2048 });
  const strict = f.boolean('strict', false);
  const recipients = f.emails('recipients', { max: 60 }) ?? [];
  const sf = new Fields(f.raw('smtp'), 'step event', 'verification.smtp');
  const host = sf.requiredString('host', { pattern: PATTERNS.host, hint: 'a host name' });
  const port = sf.integer('port', { min: 1, max: 65535, default: 0 });
  const username = sf.requiredString('username', { maxLength: 320 });
  const authMethod = sf.oneOf('authMethod', AUTH_METHODS) ?? 'auto';
  f.problems.push(...sf.problems);
  f.done();
  return {
    project,
    address,
    verifyAddress,
    deskAddress,
    smtp: { host, port, username, authMethod },
    strict,
    triggeredBy,
    triggeredAt,
    executionArn,
    recipients,
  };
}

/** The finish step gets the whole state: the verification, and the evidence, check or failure so far. */
export function parseFinishStep(event: unknown): FinishInput {
  const e = stepEvent(event, ['verification']);
  const verification = parseVerificationStep(e.verification);
  let failure: ErrorInfo | undefined;
  if (e.failure !== undefined) {
    const f = new Fields(e.failure, 'step event', 'failure');
    const error = f.requiredString('Error', { maxLength: 256 });
    const cause = f.string('Cause', { maxLength: 32768 }) ?? '';
    f.done();
    failure = { Error: error, Cause: cause };
  }
  return {
    verification,
    ...(e.evidence !== undefined ? { evidence: e.evidence } : {}),
    ...(e.check !== undefined ? { check: e.check as CheckResult } : {}),
    ...(failure ? { failure } : {}),
  };
}
