import { beforeEach, describe, expect, it } from '@jest/globals';
import { SESv2Client, SESv2ServiceException, SendEmailCommand, MessageRejected } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { InputValidationError, MailDeliveryFailed } from '../../shared/errors.js';
import { SesMailer } from '../../shared/aws/ses-mailer.js';
import type { OutgoingMail } from '../../shared/mail/mailer.js';
import { failure } from '../helpers/failure.js';

const ses = mockClient(SESv2Client);
const meta = { $metadata: {} };

const mail: OutgoingMail = {
  from: 'ghes-ops <ghes-ops@example.com>',
  to: ['ops@example.com', 'oncall@example.com'],
  cc: ['audit@example.com'],
  subject: 'Support bundle 1234567 uploaded ✓',
  text: 'The bundle was uploaded.',
  html: '<p>The bundle was uploaded.</p>',
  replyTo: 'support@example.com',
  headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
};

beforeEach(() => {
  ses.reset();
});

describe('SesMailer', () => {
  it('sends simple content with UTF-8 parts, custom headers and the configuration set', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: '0102018f-abcd' });
    const mailer = new SesMailer(new SESv2Client({}), { configurationSet: 'ghes-ops' });

    expect(await mailer.send(mail)).toEqual({ messageId: '0102018f-abcd' });

    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
      FromEmailAddress: 'ghes-ops <ghes-ops@example.com>',
      Destination: {
        ToAddresses: ['ops@example.com', 'oncall@example.com'],
        CcAddresses: ['audit@example.com'],
      },
      ReplyToAddresses: ['support@example.com'],
      ConfigurationSetName: 'ghes-ops',
      Content: {
        Simple: {
          Subject: { Data: 'Support bundle 1234567 uploaded ✓', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'The bundle was uploaded.', Charset: 'UTF-8' },
            Html: { Data: '<p>The bundle was uploaded.</p>', Charset: 'UTF-8' },
          },
          Headers: [
            { Name: 'Auto-Submitted', Value: 'auto-generated' },
            { Name: 'X-Auto-Response-Suppress', Value: 'All' },
          ],
        },
      },
    });
  });

  it('sends attachments as Simple content Attachments (SES v2), checked for header injection first', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-att' });
    const mailer = new SesMailer(new SESv2Client({}));
    const content = new Uint8Array([137, 80, 78, 71]);
    await mailer.send({
      ...mail,
      attachments: [{ filename: 'shot.png', contentType: 'image/png', content }],
    });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple?.Attachments).toEqual([
      {
        RawContent: content,
        FileName: 'shot.png',
        ContentType: 'image/png',
        ContentDisposition: 'ATTACHMENT',
      },
    ]);
    await expect(
      mailer.send({
        ...mail,
        attachments: [{ filename: 'a.png\r\nBcc: x@evil.example', contentType: 'image/png', content }],
      }),
    ).rejects.toThrow(InputValidationError);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('leaves out what the message does not have', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await new SesMailer(new SESv2Client({}), { configurationSet: undefined }).send({
      from: 'ghes-ops@example.com',
      to: ['ops@example.com'],
      subject: 'Hello',
      text: 'Plain',
    });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
      FromEmailAddress: 'ghes-ops@example.com',
      Destination: { ToAddresses: ['ops@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'Hello', Charset: 'UTF-8' },
          Body: { Text: { Data: 'Plain', Charset: 'UTF-8' } },
        },
      },
    });
  });

  it.each([
    ['headers.X-Thread', { headers: { 'X-Thread': 'a\r\nBcc: victim@example.com' } }],
    ['subject', { subject: 'Hi\nBcc: victim@example.com' }],
    ['to[0]', { to: ['ops@example.com\r\nBcc: victim@example.com'] }],
    ['replyTo', { replyTo: 'x@example.com\n' }],
  ] as [string, Partial<OutgoingMail>][])('refuses CR/LF in %s before calling SES', async (field, over) => {
    const err = await failure(new SesMailer(new SESv2Client({})).send({ ...mail, ...over }));
    expect(err).toBeInstanceOf(InputValidationError);
    expect((err as InputValidationError).problems[0]?.field).toBe(field);
    expect(err.message).not.toContain('victim');
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });

  it('refuses custom headers the mailer sets itself', async () => {
    const err = await failure(
      new SesMailer(new SESv2Client({})).send({ ...mail, headers: { Bcc: 'x@example.com' } }),
    );
    expect(err).toBeInstanceOf(InputValidationError);
    expect(err.message).toContain('headers.Bcc');
  });

  it('maps SES errors to MailDeliveryFailed', async () => {
    ses.on(SendEmailCommand).rejects(
      new MessageRejected({
        message:
          'Email address is not verified. The following identities failed the check in region EU-WEST-1: ghes-ops@example.com',
        ...meta,
      }),
    );
    const err = await failure(new SesMailer(new SESv2Client({})).send(mail));
    expect(err).toBeInstanceOf(MailDeliveryFailed);
    expect(err.name).toBe('MailDeliveryFailed');
    expect(err.message).toContain(
      'SES did not accept the message "Support bundle 1234567 uploaded ✓" for 3 recipients',
    );
    expect(err.message).toContain('MessageRejected: Email address is not verified');
    expect((err as MailDeliveryFailed).details).toEqual({ awsError: 'MessageRejected' });
  });

  it('maps throttling to MailDeliveryFailed too', async () => {
    ses.on(SendEmailCommand).rejects(
      new SESv2ServiceException({
        name: 'TooManyRequestsException',
        $fault: 'client',
        message: 'Rate exceeded',
        ...meta,
      }),
    );
    const err = await failure(new SesMailer(new SESv2Client({})).send(mail));
    expect(err).toBeInstanceOf(MailDeliveryFailed);
    expect(err.message).toContain('TooManyRequestsException');
  });
});
