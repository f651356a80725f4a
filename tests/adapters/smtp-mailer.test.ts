import { afterEach, describe, expect, it } from '@jest/globals';
import type { SMTPServerOptions } from 'smtp-server';
import { InputValidationError, MailDeliveryFailed } from '../../shared/errors.js';
import type { OutgoingMail } from '../../shared/mail/mailer.js';
import { SmtpMailer } from '../../local/adapters/smtp-mailer.js';
import { failure } from '../helpers/failure.js';
import { smtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';

let server: SmtpSink | undefined;

/** A loopback SMTP server that records every message it receives. */
async function startServer(
  opts: Partial<SMTPServerOptions> = {},
): Promise<{ port: number; received: ReceivedMail[] }> {
  server = await smtpSink(opts);
  return server;
}

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await s.close();
});

const mail: OutgoingMail = {
  from: 'ghes-ops <ghes-ops@example.com>',
  to: ['ops@example.com'],
  cc: ['audit@example.com'],
  subject: 'Failover complete',
  text: 'The replica is now the primary.',
  html: '<p>The replica is now the primary.</p>',
  replyTo: 'support@example.com',
  headers: {
    'Auto-Submitted': 'auto-generated',
    'X-Auto-Response-Suppress': 'All',
    'X-GHES-Ops-Execution': 'failover-42',
  },
};

/** The header block of a raw message, unfolded, as `name: value` lines. */
function headerLines(raw: string): string[] {
  const head = raw.split('\r\n\r\n')[0] ?? '';
  return head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
}

describe('SmtpMailer', () => {
  it('hands the message with its headers to the SMTP server', async () => {
    const { port, received } = await startServer();
    const mailer = new SmtpMailer({ host: '127.0.0.1', port, secure: false });

    const { messageId } = await mailer.send(mail);

    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(got.from).toBe('ghes-ops@example.com');
    expect(got.rcpt).toEqual(['ops@example.com', 'audit@example.com']);
    const lines = headerLines(got.raw);
    expect(lines).toEqual(
      expect.arrayContaining([
        'From: "ghes-ops" <ghes-ops@example.com>',
        'To: ops@example.com',
        'Cc: audit@example.com',
        'Reply-To: support@example.com',
        'Subject: Failover complete',
        `Message-ID: ${messageId}`,
        'Auto-Submitted: auto-generated',
        'X-Auto-Response-Suppress: All',
        // nodemailer normalizes the case of header names (they are case-insensitive).
        'X-Ghes-Ops-Execution: failover-42',
        'MIME-Version: 1.0',
      ]),
    );
    expect(lines.some((l) => l.startsWith('Content-Type: multipart/alternative'))).toBe(true);
    expect(got.raw).toContain('The replica is now the primary.');
    expect(got.raw).toContain('<p>The replica is now the primary.</p>');
  });

  it('encodes a non-ASCII subject as an RFC 2047 word', async () => {
    const { port, received } = await startServer();
    await new SmtpMailer({ host: '127.0.0.1', port }).send({
      ...mail,
      subject: 'Bundle envoyé ✓',
      html: undefined,
    });
    const subject = headerLines(received[0]!.raw).find((l) => l.startsWith('Subject: '));
    expect(subject).toMatch(/^Subject: =\?UTF-8\?[QB]\?/);
  });

  it('authenticates when credentials are given', async () => {
    const { port, received } = await startServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'relay' && auth.password === 's3cr3t-relay-pass')
          callback(null, { user: 'relay' });
        else callback(new Error('Invalid username or password'));
      },
    });
    await new SmtpMailer({
      host: '127.0.0.1',
      port,
      auth: { user: 'relay', pass: 's3cr3t-relay-pass' },
    }).send(mail);
    expect(received[0]?.user).toBe('relay');

    const err = await failure(
      new SmtpMailer({ host: '127.0.0.1', port, auth: { user: 'relay', pass: 'wrong-password-123' } }).send(
        mail,
      ),
    );
    expect(err).toBeInstanceOf(MailDeliveryFailed);
    expect(err.message).toContain(
      `The SMTP server 127.0.0.1:${port} did not accept the message "Failover complete"`,
    );
    expect(err.message).toContain('Invalid login');
    expect(err.message).not.toContain('wrong-password-123');
    expect(received).toHaveLength(1);
  });

  it('maps a rejection of every recipient to MailDeliveryFailed with the SMTP code', async () => {
    const { port, received } = await startServer({
      onRcptTo(_address, _session, callback) {
        const e = new Error('Mailbox unavailable') as Error & { responseCode: number };
        e.responseCode = 550;
        callback(e);
      },
    });
    const err = await failure(new SmtpMailer({ host: '127.0.0.1', port }).send(mail));
    expect(err).toBeInstanceOf(MailDeliveryFailed);
    expect(err.message).toContain('Mailbox unavailable');
    expect((err as MailDeliveryFailed).details).toMatchObject({ host: '127.0.0.1', port, code: 'EENVELOPE' });
    expect(received).toHaveLength(0);
  });

  it('delivers to the accepted recipients when the server refuses only some (no duplicate on retry)', async () => {
    const { port, received } = await startServer({
      onRcptTo(address, _session, callback) {
        if (address.address === 'audit@example.com') callback(new Error('Mailbox unavailable'));
        else callback();
      },
    });
    const sent = await new SmtpMailer({ host: '127.0.0.1', port }).send(mail);
    expect(sent.messageId).toMatch(/^<.+@example\.com>$/);
    expect(received.map((r) => r.rcpt)).toEqual([['ops@example.com']]);
  });

  it('maps a refused connection to MailDeliveryFailed', async () => {
    const { port } = await startServer();
    await server!.close();
    server = undefined;
    const err = await failure(new SmtpMailer({ host: '127.0.0.1', port, timeoutSeconds: 5 }).send(mail));
    expect(err).toBeInstanceOf(MailDeliveryFailed);
    expect((err as MailDeliveryFailed).details).toMatchObject({ code: 'ESOCKET' });
  });

  it('refuses CR/LF in header values before connecting', async () => {
    const { port, received } = await startServer();
    const err = await failure(
      new SmtpMailer({ host: '127.0.0.1', port }).send({
        ...mail,
        headers: { 'X-Ref': 'ok\r\nBcc: victim@example.com' },
      }),
    );
    expect(err).toBeInstanceOf(InputValidationError);
    expect(err.message).toContain('headers.X-Ref: must not contain CR or LF');
    expect(received).toHaveLength(0);
  });
});
