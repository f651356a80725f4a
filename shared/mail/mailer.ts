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
  /** Files sent as attachments (file names must be plain: no path, no line breaks). */
  attachments?: MailAttachmentFile[];
}

export interface MailAttachmentFile {
  filename: string;
  contentType: string;
  content: Uint8Array;
}

export interface SentMail {
  messageId: string;
}

export interface Mailer {
  /** Throws `MailDeliveryFailed` when the message could not be handed over. */
  send(mail: OutgoingMail): Promise<SentMail>;
}
