import type { SmtpAuthMethod } from '../../mail/smtp-submission.js';
import type { VerificationErrorCode } from './errors.js';

/**
 * What the custom-email verification workflow carries from step to step (its execution state).
 * Never a secret: the SMTP password, the token and the token found in the forwarded mail stay in
 * the parameter store (settings.ts), so none of this reaches the execution history.
 */
export interface Verification {
  /** The service desk project slug (`acme-support`). */
  project: string;
  /** The custom address being verified (`support@acme.example`). */
  address: string;
  /** Where the verification email goes: `<local>+verify@<domain>`. */
  verifyAddress: string;
  /** The project's service desk address the customer's provider must forward to. */
  deskAddress: string;
  /** The SMTP server used (no password), for the messages. */
  smtp: { host: string; port: number; username: string; authMethod: SmtpAuthMethod };
  /** Strict: an unauthenticated From (SPF/DKIM/DMARC) fails the verification. */
  strict: boolean;
  triggeredBy: string;
  triggeredAt: string;
  executionArn: string;
  /** The project's owners and the triggerer: who gets the started and result emails. */
  recipients: string[];
}

/** SES receipt verdicts of the forwarded mail (`PASS`, `FAIL`, `GRAY`...; absent when unknown). */
export interface EvidenceVerdicts {
  spf?: string;
  dkim?: string;
  dmarc?: string;
  spam?: string;
  virus?: string;
}

/**
 * What the inbound pipeline saw of the forwarded verification mail, sent with SendTaskSuccess as
 * the waiting task's result. Holds whether a token was found, never the token itself.
 */
export interface ForwardedMailEvidence {
  messageId?: string;
  /** The From header's address (lowercased by the parser). */
  from?: string;
  to: string[];
  /** The service desk addresses the mail was delivered to (envelope recipients on the desk domain). */
  deliveredTo: string[];
  verdicts: EvidenceVerdicts;
  tokenFound: boolean;
  receivedAt: string;
}

export interface AuthenticationReport {
  spf: string;
  dkim: string;
  dmarc: string;
  /** DMARC PASS (which needs an aligned SPF or DKIM PASS). */
  authenticated: boolean;
}

/** The check step's result (all four checks passed). */
export interface CheckResult {
  deliveredTo: string;
  from: string;
  tokenMatches: true;
  strict: boolean;
  authentication: AuthenticationReport;
}

/** The finish step's result: what the state record now says and who was told. */
export interface FinishResult {
  state: 'finished' | 'failed';
  /** The GitLab-compatible code of a failure (`incorrect_from`...), when it is one of the eight. */
  code?: VerificationErrorCode;
  /** The error name the execution fails with (`IncorrectFrom`, `MailNotReceivedWithinTimeframe`...). */
  error?: string;
  /** What happened and what to do, without secrets. */
  cause?: string;
  finishedAt: string;
  notified: boolean;
  recipients: string[];
}
