import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { SMTPServerOptions } from 'smtp-server';
import { InputValidationError } from '../../shared/errors.js';
import type { OutgoingMail } from '../../shared/mail/mailer.js';
import {
  isLoopbackHost,
  NodemailerSmtpSubmission,
  scrubSecret,
  tlsMode,
} from '../../shared/mail/nodemailer-smtp-submission.js';
import type { SmtpAuthMethod, SmtpServerSettings } from '../../shared/mail/smtp-submission.js';
import {
  InvalidCredentials,
  ReadTimeout,
  SmtpHostIssue,
} from '../../shared/service-desk/custom-email/errors.js';
import { failure } from '../helpers/failure.js';
import { smtpSink } from '../helpers/smtp-sink.js';

const USER = 'support@acme.example';
const PASSWORD = 'correct horse battery staple';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** A loopback SMTP server with AUTH (PLAIN, LOGIN, CRAM-MD5) that records who logged in and what arrived. */
async function smtpServer(opts: Partial<SMTPServerOptions> = {}) {
  const logins: { method: string; username: string }[] = [];
  const sink = await smtpSink({
    authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    allowInsecureAuth: true,
    authOptional: false,
    onAuth(auth, _session, callback) {
      const ok =
        auth.username === USER &&
        (auth.method === 'CRAM-MD5' ? auth.validatePassword(PASSWORD) : auth.password === PASSWORD);
      if (!ok) {
        // A careless server that echoes what it got, plain and base64: the adapter must scrub it.
        const err = Object.assign(
          new Error(
            `Authentication failed for ${auth.username} with ${auth.password} (${b64(auth.password ?? '')})`,
          ),
          { responseCode: 535 },
        );
        return callback(err);
      }
      logins.push({ method: auth.method, username: auth.username ?? '' });
      callback(null, { user: auth.username });
    },
    ...opts,
  });
  closers.push(sink.close);
  return { ...sink, logins };
}

/** A TCP server that accepts connections and never says a word (no SMTP greeting). */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const settings = (
  port: number,
  authMethod: SmtpAuthMethod = 'auto',
  password = PASSWORD,
): SmtpServerSettings => ({
  host: '127.0.0.1',
  port,
  username: USER,
  password,
  authMethod,
});

const mail: OutgoingMail = {
  from: USER,
  to: ['support+verify@acme.example'],
  subject: 'Verify custom email address support@acme.example for acme-support',
  text: 'This mail checks that mail to support+verify is forwarded.\n\nVerification token: Ab3dEf6hIj9K\n',
  headers: { 'Auto-Submitted': 'no' },
};

/** Neither the password nor its base64 form anywhere in the error. */
function expectNoPassword(e: Error): void {
  const seen = JSON.stringify({
    message: e.message,
    details: (e as { details?: unknown }).details,
    stack: e.stack,
  });
  expect(seen).not.toContain(PASSWORD);
  expect(seen).not.toContain(b64(PASSWORD));
  expect(seen).not.toContain('wrong-password-123');
  expect(seen).not.toContain(b64('wrong-password-123'));
}

const smtp = new NodemailerSmtpSubmission();

describe('NodemailerSmtpSubmission: authenticated delivery', () => {
  it.each([
    ['plain', 'PLAIN'],
    ['login', 'LOGIN'],
    ['cram-md5', 'CRAM-MD5'],
    ['auto', 'PLAIN'],
  ] as const)('auth method %s logs in with %s and delivers the message', async (method, wire) => {
    const server = await smtpServer();
    const sent = await smtp.send(settings(server.port, method), mail);

    expect(server.logins).toEqual([{ method: wire, username: USER }]);
    expect(server.received).toHaveLength(1);
    const got = server.received[0]!;
    expect(got.from).toBe(USER);
    expect(got.rcpt).toEqual(['support+verify@acme.example']);
    const head = got.raw.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
    expect(head).toContain('Subject: Verify custom email address support@acme.example for acme-support');
    expect(head).toContain('Auto-Submitted: no');
    expect(head).toContain(`Message-ID: ${sent.messageId}`);
    expect(got.raw).toContain('Verification token: Ab3dEf6hIj9K');
  });

  it('never sends without logging in, even when the server does not offer AUTH', async () => {
    const server = await smtpServer({ disabledCommands: ['STARTTLS', 'AUTH'], authOptional: true });
    const e = await failure(smtp.send(settings(server.port), mail));
    expect(e).toBeInstanceOf(InvalidCredentials);
    expect(server.received).toHaveLength(0);
    expectNoPassword(e);
  });

  it('refuses a header with a line break before connecting (a caller bug, not the server)', async () => {
    const port = await closedPort();
    const e = await failure(smtp.send(settings(port), { ...mail, subject: 'x\r\nBcc: evil@example.com' }));
    expect(e).toBeInstanceOf(InputValidationError);
  });
});

describe('NodemailerSmtpSubmission: failures become the verification errors', () => {
  it('a wrong password is InvalidCredentials; the echoed password is scrubbed', async () => {
    const server = await smtpServer();
    for (const method of ['plain', 'login', 'cram-md5'] as const) {
      const e = await failure(smtp.send(settings(server.port, method, 'wrong-password-123'), mail));
      expect(e).toBeInstanceOf(InvalidCredentials);
      expect(e.name).toBe('InvalidCredentials');
      expect((e as InvalidCredentials).code).toBe('invalid_credentials');
      expect(e.message).toContain(`refused the login of ${USER} (auth method ${method})`);
      expect(e.message).toMatch(/Check the username and password/);
      expect((e as InvalidCredentials).details).toMatchObject({ host: '127.0.0.1', port: server.port });
      expectNoPassword(e);
    }
    expect(server.received).toHaveLength(0);
  });

  it('a closed port is SmtpHostIssue naming host and port', async () => {
    const port = await closedPort();
    const e = await failure(smtp.send(settings(port), mail));
    expect(e).toBeInstanceOf(SmtpHostIssue);
    expect((e as SmtpHostIssue).code).toBe('smtp_host_issue');
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(e.message).toMatch(/Nothing accepts connections/);
    expectNoPassword(e);
  });

  it('a server that accepts the connection and never greets is ReadTimeout', async () => {
    const port = await silentServer();
    const e = await failure(smtp.send(settings(port), mail, { readTimeoutSeconds: 1 }));
    expect(e).toBeInstanceOf(ReadTimeout);
    expect((e as ReadTimeout).code).toBe('read_timeout');
    expect(e.message).toContain('did not answer within 1 s');
    expectNoPassword(e);
  });

  it('a 5xx on MAIL FROM is SmtpHostIssue with the server text', async () => {
    const server = await smtpServer({
      onMailFrom(_address, _session, callback) {
        callback(
          Object.assign(new Error('5.7.1 Sender address rejected: not owned by user'), { responseCode: 553 }),
        );
      },
    });
    const e = await failure(smtp.send(settings(server.port, 'login'), mail));
    expect(e).toBeInstanceOf(SmtpHostIssue);
    expect(e.message).toContain('553 5.7.1 Sender address rejected: not owned by user');
    expect(e.message).toMatch(/may send as the custom address/);
    expect((e as SmtpHostIssue).details).toMatchObject({ responseCode: 553, command: 'MAIL FROM' });
    expectNoPassword(e);
  });
});

describe('TLS rule and scrubbing', () => {
  it('465 is implicit TLS; every other port requires STARTTLS except on loopback', () => {
    expect(tlsMode('smtp.example.com', 465)).toEqual({ secure: true, requireTLS: false });
    expect(tlsMode('smtp.example.com', 587)).toEqual({ secure: false, requireTLS: true });
    expect(tlsMode('smtp.example.com', 25)).toEqual({ secure: false, requireTLS: true });
    expect(tlsMode('10.0.0.5', 2525)).toEqual({ secure: false, requireTLS: true });
    expect(tlsMode('127.0.0.1', 2525)).toEqual({ secure: false, requireTLS: false });
    expect(tlsMode('localhost', 587)).toEqual({ secure: false, requireTLS: false });
    expect(tlsMode('::1', 587)).toEqual({ secure: false, requireTLS: false });
    expect(isLoopbackHost('127.10.0.1')).toBe(true);
    expect(isLoopbackHost('127.example.com')).toBe(false);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
  });

  it('scrubs the password as typed, base64, and inside an AUTH PLAIN blob', () => {
    const s = settings(1);
    const text = `535 ${PASSWORD} ${b64(PASSWORD)} ${b64(`\0${USER}\0${PASSWORD}`)}`;
    expect(scrubSecret(text, s)).toBe('535 **** **** ****');
  });
});
