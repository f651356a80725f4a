import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { MailDeliveryFailed } from '../../shared/errors.js';
import type { Mailer, OutgoingMail, SentMail } from '../../shared/mail/mailer.js';
import { toNodemailerMessage } from '../../shared/mail/nodemailer-message.js';

export interface OutboxMailerOptions {
  /** Directory for `.eml` files; without it messages are only kept in memory. */
  dir?: string;
  /** Domain of generated Message-IDs. Default `ghes-ops.local`. */
  messageIdDomain?: string;
}

/** A message the outbox "sent", as tests and the CLI read it. */
export interface OutboxMessage {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  replyTo?: string;
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, string>;
  /** The `.eml` file, when the outbox has a directory. */
  file?: string;
  /** Attached files (their names, types and sizes; the content is in the `.eml`). */
  attachments?: { filename: string; contentType: string; size: number }[];
  sentAt: string;
}

/**
 * A local outbox: each message becomes an RFC 5322 `.eml` file (CRLF line ends, built by
 * nodemailer's stream transport, so it opens in any mail client) and an entry in `sent`.
 */
export class OutboxMailer implements Mailer {
  readonly sent: OutboxMessage[] = [];
  private readonly dir: string | undefined;
  private readonly domain: string;
  private readonly transport: Transporter;
  private seq = 0;

  constructor(opts: OutboxMailerOptions = {}) {
    this.dir = opts.dir ? resolve(opts.dir) : undefined;
    this.domain = opts.messageIdDomain ?? 'ghes-ops.local';
    this.transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  }

  async send(mail: OutgoingMail): Promise<SentMail> {
    const message = toNodemailerMessage(mail);
    const messageId = `<${randomUUID()}@${this.domain}>`;
    const sentAt = new Date();
    let raw: Buffer;
    try {
      const info = (await this.transport.sendMail({ ...message, messageId, date: sentAt })) as {
        message: Buffer;
      };
      raw = info.message;
    } catch (err) {
      throw new MailDeliveryFailed(
        `The message "${mail.subject}" could not be composed: ${(err as Error).message}`,
      );
    }
    let file: string | undefined;
    if (this.dir) {
      this.seq += 1;
      const stamp = sentAt.toISOString().replace(/[:.]/g, '-');
      file = join(this.dir, `${stamp}-${String(this.seq).padStart(4, '0')}-${messageId.slice(1, 9)}.eml`);
      try {
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        await writeFile(file, raw, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        throw new MailDeliveryFailed(
          `Cannot write the message "${mail.subject}" to the outbox ${this.dir}: ${(err as Error).message}`,
        );
      }
    }
    const entry: OutboxMessage = {
      messageId,
      from: mail.from,
      to: [...mail.to],
      cc: [...(mail.cc ?? [])],
      subject: mail.subject,
      text: mail.text,
      headers: { ...(mail.headers ?? {}) },
      sentAt: sentAt.toISOString(),
    };
    if (mail.replyTo) entry.replyTo = mail.replyTo;
    if (mail.html !== undefined) entry.html = mail.html;
    if (file) entry.file = file;
    if (mail.attachments?.length)
      entry.attachments = mail.attachments.map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        size: a.content.byteLength,
      }));
    this.sent.push(entry);
    return { messageId };
  }

  /** The last message sent, if any. */
  last(): OutboxMessage | undefined {
    return this.sent.at(-1);
  }

  /** Forgets the in-memory list (files stay). */
  clear(): void {
    this.sent.length = 0;
  }
}
