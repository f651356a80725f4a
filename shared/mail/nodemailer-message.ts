import type { SendMailOptions } from 'nodemailer';
import { assertMailHeadersSafe, customHeaders } from './headers.js';
import type { OutgoingMail } from './mailer.js';

/**
 * The nodemailer message for an `OutgoingMail`, after the CR/LF header check shared by every
 * mailer. File and URL access are disabled: message content never makes nodemailer read a local
 * file or fetch a URL.
 */
export function toNodemailerMessage(mail: OutgoingMail): SendMailOptions {
  assertMailHeadersSafe(mail);
  const message: SendMailOptions = {
    from: mail.from,
    to: [...mail.to],
    subject: mail.subject,
    text: mail.text,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (mail.cc?.length) message.cc = [...mail.cc];
  if (mail.replyTo) message.replyTo = mail.replyTo;
  if (mail.html !== undefined) message.html = mail.html;
  if (mail.attachments?.length)
    message.attachments = mail.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: Buffer.from(a.content),
    }));
  const headers = customHeaders(mail);
  if (headers.length) message.headers = Object.fromEntries(headers);
  return message;
}
