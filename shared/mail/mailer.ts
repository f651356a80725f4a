/** Outgoing mail: SES in AWS, SMTP or a local outbox on a workstation. */
export interface OutgoingMail {
  from: string;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html?: string;
  replyTo?: string;
  /** Extra headers (threading, Auto-Submitted...). Values must already be CRLF-safe. */
  headers?: Record<string, string>;
}

export interface SentMail {
  messageId: string;
}

export interface Mailer {
  /** Throws `MailDeliveryFailed` when the message could not be handed over. */
  send(mail: OutgoingMail): Promise<SentMail>;
}
