import { GhesOpsError } from '../../errors.js';

/**
 * Named errors of the custom email verification workflow. The `name` is what
 * statemachines/custom-email-verification.asl.json catches; `code` is the GitLab-compatible error
 * recorded in the verification state (`smtp_host_issue`...). Messages never hold the SMTP password
 * or the verification token.
 */
export type VerificationErrorCode =
  | 'smtp_host_issue'
  | 'invalid_credentials'
  | 'read_timeout'
  | 'mail_not_received_within_timeframe'
  | 'incorrect_forwarding_target'
  | 'incorrect_from'
  | 'incorrect_token'
  | 'unauthenticated_from';

export abstract class VerificationError extends GhesOpsError {
  abstract readonly code: VerificationErrorCode;
}

/** Connection refused, DNS, TLS, or an SMTP server error other than authentication. */
export class SmtpHostIssue extends VerificationError {
  readonly name = 'SmtpHostIssue';
  readonly code = 'smtp_host_issue';
}

/** The customer's SMTP server refused the username and password. */
export class InvalidCredentials extends VerificationError {
  readonly name = 'InvalidCredentials';
  readonly code = 'invalid_credentials';
}

/** The SMTP server accepted the connection but did not answer within the read timeout (7 s). */
export class ReadTimeout extends VerificationError {
  readonly name = 'ReadTimeout';
  readonly code = 'read_timeout';
}

/** The forwarded mail reached a service desk address other than this project's. */
export class IncorrectForwardingTarget extends VerificationError {
  readonly name = 'IncorrectForwardingTarget';
  readonly code = 'incorrect_forwarding_target';
}

/** The forwarder rewrote the From header; it must stay the custom address. */
export class IncorrectFrom extends VerificationError {
  readonly name = 'IncorrectFrom';
  readonly code = 'incorrect_from';
}

/** The first `Verification token:` in the forwarded body is missing or differs. */
export class IncorrectToken extends VerificationError {
  readonly name = 'IncorrectToken';
  readonly code = 'incorrect_token';
}

/** Strict mode: the forwarded mail's From is not authenticated (SPF/DKIM/DMARC verdicts). */
export class UnauthenticatedFrom extends VerificationError {
  readonly name = 'UnauthenticatedFrom';
  readonly code = 'unauthenticated_from';
}

/** The custom email settings are missing or incomplete: nothing was started. */
export class CustomEmailNotConfigured extends GhesOpsError {
  readonly name = 'CustomEmailNotConfigured';
}

/** Enabling the custom address before a verification finished successfully. */
export class CustomEmailNotVerified extends GhesOpsError {
  readonly name = 'CustomEmailNotVerified';
}

/** A verification of this project is already running. */
export class VerificationAlreadyRunning extends GhesOpsError {
  readonly name = 'VerificationAlreadyRunning';
}

/** `States.Timeout` of the wait (30 min) maps to this code. */
export const TIMEOUT_CODE: VerificationErrorCode = 'mail_not_received_within_timeframe';
