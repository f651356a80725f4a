import type { OutgoingMail, SentMail } from './mailer.js';

/**
 * Mail submitted through somebody else's SMTP server with their credentials (the custom email
 * address of a service desk project). One real implementation serves AWS and local runs:
 * nodemailer over the network (locally, the sandbox mail provider on loopback).
 */
export type SmtpAuthMethod = 'plain' | 'login' | 'cram-md5' | 'auto';

export interface SmtpServerSettings {
  host: string;
  port: number;
  username: string;
  /** Never logged, never in an error message. */
  password: string;
  authMethod: SmtpAuthMethod;
}

export interface SmtpSubmission {
  /**
   * Sends `mail`. Throws `SmtpHostIssue` (connection, TLS, server errors), `InvalidCredentials`
   * (authentication refused) or `ReadTimeout` (no answer within `readTimeoutSeconds`, default 7),
   * from shared/service-desk/custom-email/errors.ts.
   */
  send(
    server: SmtpServerSettings,
    mail: OutgoingMail,
    opts?: { readTimeoutSeconds?: number },
  ): Promise<SentMail>;
}
