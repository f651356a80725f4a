import type { SESv2Client, SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { MailDeliveryFailed } from '../errors.js';
import { assertMailHeadersSafe, customHeaders } from '../mail/headers.js';
import type { Mailer, OutgoingMail, SentMail } from '../mail/mailer.js';
import { awsErrorName, errorMessage } from './aws-error.js';

/** The SDK module, loaded on the first call: never at import, so a cold start stays small (shared/aws/wiring.ts). */
const sdk = () => import('@aws-sdk/client-sesv2');

export interface SesMailerOptions {
  /** SES configuration set (event publishing, dedicated IPs...). */
  configurationSet?: string;
}

const UTF8 = 'UTF-8';

/**
 * Sends mail with SES v2 `SendEmail` and simple content: SES builds the MIME message from the
 * subject, text and HTML parts and the custom headers. Header values are checked for CR/LF first.
 */
export class SesMailer implements Mailer {
  private readonly configurationSet: string | undefined;

  constructor(
    private readonly client: SESv2Client,
    opts: SesMailerOptions = {},
  ) {
    this.configurationSet = opts.configurationSet?.trim() || undefined;
  }

  async send(mail: OutgoingMail): Promise<SentMail> {
    assertMailHeadersSafe(mail);
    const input = this.input(mail);
    let messageId: string | undefined;
    try {
      messageId = (await this.client.send(new (await sdk()).SendEmailCommand(input))).MessageId;
    } catch (err) {
      const name = awsErrorName(err) ?? 'Error';
      throw new MailDeliveryFailed(
        `SES did not accept the message "${mail.subject}" for ${recipients(mail)}: ${name}: ${errorMessage(err)}. ` +
          'Check that the sender identity is verified, the account is out of the SES sandbox (or the ' +
          'recipients are verified), and the Lambda role may call ses:SendEmail.',
        { awsError: name },
      );
    }
    if (!messageId) throw new MailDeliveryFailed('SES accepted the message but returned no message id.');
    return { messageId };
  }

  private input(mail: OutgoingMail): SendEmailCommandInput {
    const headers = customHeaders(mail).map(([Name, Value]) => ({ Name, Value }));
    const input: SendEmailCommandInput = {
      FromEmailAddress: mail.from,
      Destination: { ToAddresses: [...mail.to], ...(mail.cc?.length ? { CcAddresses: [...mail.cc] } : {}) },
      Content: {
        Simple: {
          Subject: { Data: mail.subject, Charset: UTF8 },
          Body: {
            Text: { Data: mail.text, Charset: UTF8 },
            ...(mail.html !== undefined ? { Html: { Data: mail.html, Charset: UTF8 } } : {}),
          },
          ...(headers.length ? { Headers: headers } : {}),
          ...(mail.attachments?.length
            ? {
                Attachments: mail.attachments.map((a) => ({
                  RawContent: a.content,
                  FileName: a.filename,
                  ContentType: a.contentType,
                  ContentDisposition: 'ATTACHMENT' as const,
                })),
              }
            : {}),
        },
      },
    };
    if (mail.replyTo) input.ReplyToAddresses = [mail.replyTo];
    if (this.configurationSet) input.ConfigurationSetName = this.configurationSet;
    return input;
  }
}

function recipients(mail: OutgoingMail): string {
  const n = mail.to.length + (mail.cc?.length ?? 0);
  return n === 1 ? '1 recipient' : `${n} recipients`;
}
