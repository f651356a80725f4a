import nodemailer, { type Transporter } from 'nodemailer';
import { MailDeliveryFailed } from '../../shared/errors.js';
import type { Mailer, OutgoingMail, SentMail } from '../../shared/mail/mailer.js';
import { toNodemailerMessage } from '../../shared/mail/nodemailer-message.js';

export interface SmtpMailerOptions {
  host: string;
  port: number;
  /** TLS from the start (port 465). With `false`, STARTTLS is used when the server offers it. */
  secure?: boolean;
  /** Refuse to send unless the connection is upgraded with STARTTLS. */
  requireTLS?: boolean;
  auth?: { user: string; pass: string };
  /** Seconds to wait for the connection and for each server answer. Default 30. */
  timeoutSeconds?: number;
  /** Extra TLS settings, e.g. `{ rejectUnauthorized: false }` for a local test relay only. */
  tls?: { rejectUnauthorized?: boolean; servername?: string };
}

/**
 * Sends mail through an SMTP relay with nodemailer. Errors become `MailDeliveryFailed` (the relay's
 * answer is kept; the password is never in the message). When the relay refuses some recipients
 * but accepts others the message counts as sent: failing then would make a retried step mail the
 * accepted recipients twice. When it refuses all of them, `send` throws.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(private readonly opts: SmtpMailerOptions) {
    const timeout = (opts.timeoutSeconds ?? 30) * 1000;
    this.transport = nodemailer.createTransport({
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? false,
      requireTLS: opts.requireTLS ?? false,
      ...(opts.auth ? { auth: { user: opts.auth.user, pass: opts.auth.pass } } : {}),
      ...(opts.tls ? { tls: { ...opts.tls } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
  }

  async send(mail: OutgoingMail): Promise<SentMail> {
    const message = toNodemailerMessage(mail);
    try {
      const info = (await this.transport.sendMail(message)) as { messageId?: string };
      if (!info.messageId) throw new Error('the transport returned no message id');
      return { messageId: info.messageId };
    } catch (err) {
      const e = err as { message?: string; code?: string; responseCode?: number };
      let reason = e.message ?? String(err);
      const pass = this.opts.auth?.pass;
      if (pass && pass.length >= 4) reason = reason.replaceAll(pass, '****');
      throw new MailDeliveryFailed(
        `The SMTP server ${this.opts.host}:${this.opts.port} did not accept the message "${mail.subject}": ${reason}`,
        { host: this.opts.host, port: this.opts.port, code: e.code, responseCode: e.responseCode },
      );
    }
  }

  /** Closes pooled connections (none by default). */
  close(): void {
    this.transport.close();
  }
}
