import { afterEach, describe, expect, it } from '@jest/globals';
import nodemailer from 'nodemailer';
import { NodemailerSmtpSubmission } from '../../shared/mail/nodemailer-smtp-submission.js';
import {
  InvalidCredentials,
  ReadTimeout,
  SmtpHostIssue,
} from '../../shared/service-desk/custom-email/errors.js';
import type { Outcome } from '../../shared/service-desk/desk.js';
import {
  DEFAULT_CUSTOM_EMAIL,
  MAIL_PROVIDER_BEHAVIOURS,
  SandboxMailProvider,
  mailBehaviourFor,
  withOtherToken,
  type MailProviderBehaviour,
} from '../../local/sandbox/mail-provider/index.js';
import { testDesk } from '../helpers/local-desk.js';
import { SCENARIOS } from '../../local/sandbox/scenarios.js';
import { failure } from '../helpers/failure.js';
import { smtpSink, type ReceivedMail } from '../helpers/smtp-sink.js';
import { manualSandbox } from './helpers.js';

const DESK = 'support+acme-support-1-issue-@desk.localhost';
const OTHER = 'support+other-project-2-issue-@desk.localhost';
const ADDRESS = DEFAULT_CUSTOM_EMAIL.address;
const PASSWORD = 'provider-test-password';
const TOKEN = 'Ab3dEf6hIj9K';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** A plain SMTP sink on loopback standing in for the service desk's receiving side. */
async function deskSink(): Promise<{ port: number; deliveries: ReceivedMail[] }> {
  const sink = await smtpSink();
  closers.push(sink.close);
  return { port: sink.port, deliveries: sink.received };
}

async function provider(behaviour: MailProviderBehaviour, deskPort: number) {
  const p = new SandboxMailProvider({
    behaviour,
    deskSmtp: { host: '127.0.0.1', port: deskPort },
    deskAddress: DESK,
    otherDeskAddress: OTHER,
    address: ADDRESS,
    password: PASSWORD,
  });
  const endpoint = await p.start();
  closers.push(() => p.close());
  return { p, endpoint };
}

/** The verification mail, sent by a real nodemailer client that logs in. */
async function submit(
  port: number,
  opts: { method?: string; password?: string; from?: string; to?: string; greetingTimeout?: number } = {},
) {
  const t = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    auth: { user: ADDRESS, pass: opts.password ?? PASSWORD },
    authMethod: opts.method ?? 'PLAIN',
    greetingTimeout: opts.greetingTimeout ?? 5_000,
    logger: false,
  });
  try {
    return await t.sendMail({
      from: opts.from ?? ADDRESS,
      to: opts.to ?? 'support+verify@acme.localhost',
      subject: `Verify custom email address ${ADDRESS} for acme-support`,
      text: `Forward this to the service desk.\n\nVerification token: ${TOKEN}\n`,
      headers: { 'Auto-Submitted': 'no' },
    });
  } finally {
    t.close();
  }
}

const header = (raw: string, name: string): string[] => {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return head
    .split(/\r?\n/)
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((l) => l.slice(name.length + 1).trim());
};

describe('SandboxMailProvider: the SMTP submission side', () => {
  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5'])('accepts %s with the right password', async (method) => {
    const sink = await deskSink();
    const { p, endpoint } = await provider('forwards', sink.port);
    const info = await submit(endpoint.port, { method });
    expect(info.accepted).toEqual(['support+verify@acme.localhost']);
    await p.settled();
    expect(sink.deliveries).toHaveLength(1);
  });

  it('refuses a wrong password (535), a foreign sender (553) and a foreign recipient (550)', async () => {
    const sink = await deskSink();
    const { p, endpoint } = await provider('forwards', sink.port);
    const bad = (await failure(submit(endpoint.port, { password: 'nope' }))) as Error & {
      responseCode?: number;
    };
    expect(bad.responseCode).toBe(535);
    const from = (await failure(submit(endpoint.port, { from: 'mallory@acme.localhost' }))) as Error & {
      responseCode?: number;
    };
    expect(from.responseCode).toBe(553);
    const to = (await failure(submit(endpoint.port, { to: 'someone@example.com' }))) as Error & {
      responseCode?: number;
    };
    expect(to.message).toMatch(/550/);
    await p.settled();
    expect(sink.deliveries).toHaveLength(0);
  });
});

describe('SandboxMailProvider: each behaviour at the protocol level', () => {
  it('forwards: envelope rewritten to the desk address, From and token preserved, forwarding headers added, verdicts PASS', async () => {
    const sink = await deskSink();
    const { p, endpoint } = await provider('forwards', sink.port);
    await submit(endpoint.port);
    await p.settled();
    expect(sink.deliveries).toHaveLength(1);
    const d = sink.deliveries[0]!;
    expect(d.from).toBe('forwarder@acme.localhost');
    expect(d.rcpt).toEqual([DESK]);
    expect(header(d.raw, 'From')).toEqual([ADDRESS]);
    expect(header(d.raw, 'To')).toEqual(['support+verify@acme.localhost']);
    expect(header(d.raw, 'Delivered-To')).toEqual(['support+verify@acme.localhost']);
    expect(header(d.raw, 'X-Forwarded-To')).toEqual([DESK]);
    expect(header(d.raw, 'Auto-Submitted')).toEqual(['no']);
    expect(d.raw).toContain(`Verification token: ${TOKEN}`);
    expect(p.forwarded).toEqual([d.raw]);
    expect(p.verdictsFor({ mailFrom: d.from || undefined, rcptTo: d.rcpt })).toEqual({
      spf: 'PASS',
      dkim: 'PASS',
      dmarc: 'PASS',
      spam: 'PASS',
      virus: 'PASS',
    });
    // Mail that did not come from the provider gets no verdict from it.
    expect(p.verdictsFor({ mailFrom: 'alice@example.com', rcptTo: [DESK] })).toBeUndefined();
  });

  it('rewrites-from: one From header, the forwarder, everything else kept', async () => {
    const sink = await deskSink();
    const { p, endpoint } = await provider('rewrites-from', sink.port);
    await submit(endpoint.port);
    await p.settled();
    const d = sink.deliveries[0]!;
    expect(header(d.raw, 'From')).toEqual(['Forwarder <forwarder@acme.localhost>']);
    expect(d.rcpt).toEqual([DESK]);
    expect(d.raw).toContain(`Verification token: ${TOKEN}`);
  });

  it('wrong-target: forwarded to another service desk address', async () => {
    const sink = await deskSink();
    const { p, endpoint } = await provider('wrong-target', sink.port);
    await submit(endpoint.port);
    await p.settled();
    const d = sink.deliveries[0]!;
    expect(d.rcpt).toEqual([OTHER]);
    expect(header(d.raw, 'X-Forwarded-To')).toEqual([OTHER]);
    expect(header(d.raw, 'From')).toEqual([ADDRESS]);
  });

  it('wrong-target without otherDeskAddress: the desk address without its key', async () => {
    const sink = await deskSink();
    const p = new SandboxMailProvider({
      behaviour: 'wrong-target',
      deskSmtp: () => ({ host: '127.0.0.1', port: sink.port }),
      deskAddress: DESK,
    });
    const { port } = await p.start();
    closers.push(() => p.close());
    await submit(port, { password: DEFAULT_CUSTOM_EMAIL.password });
    await p.settled();
    expect(sink.deliveries[0]!.rcpt).toEqual(['support@desk.localhost']);
  });

  it('forwards-nothing: accepts the mail (250) and forwards nothing', async () => {
    const sink = await deskSink();
    const { p, endpoint } = await provider('forwards-nothing', sink.port);
    const info = await submit(endpoint.port);
    expect(info.response).toMatch(/^250/);
    await p.settled();
    expect(sink.deliveries).toEqual([]);
    expect(p.forwarded).toEqual([]);
  });

  it('wrong-token: forwards the mail with another 12-character token', async () => {
    const sink = await deskSink();
    const { p, endpoint } = await provider('wrong-token', sink.port);
    await submit(endpoint.port);
    await p.settled();
    const d = sink.deliveries[0]!;
    const token = /Verification token: (\S+)/.exec(d.raw)?.[1];
    expect(token).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(token).not.toBe(TOKEN);
    expect(header(d.raw, 'From')).toEqual([ADDRESS]);
  });

  it('forged-from: From preserved, but the receiving side sees SPF and DMARC fail', async () => {
    const sink = await deskSink();
    const { p, endpoint } = await provider('forged-from', sink.port);
    await submit(endpoint.port);
    await p.settled();
    const d = sink.deliveries[0]!;
    expect(header(d.raw, 'From')).toEqual([ADDRESS]);
    expect(p.verdictsFor({ mailFrom: d.from || undefined, rcptTo: d.rcpt })).toMatchObject({
      spf: 'FAIL',
      dmarc: 'FAIL',
    });
  });

  it('rejects-credentials: 535 even for the right password, nothing forwarded', async () => {
    const sink = await deskSink();
    const { p, endpoint } = await provider('rejects-credentials', sink.port);
    for (const method of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
      const e = (await failure(submit(endpoint.port, { method }))) as Error & { responseCode?: number };
      expect(e.responseCode).toBe(535);
    }
    await p.settled();
    expect(sink.deliveries).toEqual([]);
  });

  it('read-timeout: the connection is accepted and no greeting ever comes', async () => {
    const sink = await deskSink();
    const { endpoint } = await provider('read-timeout', sink.port);
    const e = (await failure(submit(endpoint.port, { greetingTimeout: 300 }))) as Error & {
      code?: string;
      timeoutType?: string;
    };
    expect(e.code).toBe('ETIMEDOUT');
    expect(e.timeoutType).toBe('GREETING_TIMEOUT');
  });

  it('connection-refused: nothing listens on the port', async () => {
    const sink = await deskSink();
    const { endpoint } = await provider('connection-refused', sink.port);
    const e = (await failure(submit(endpoint.port))) as Error & { originalCode?: string };
    expect(e.originalCode).toBe('ECONNREFUSED');
  });

  it('the verification errors of the submission adapter follow from the behaviours', async () => {
    const sink = await deskSink();
    const server = (port: number) => ({
      host: '127.0.0.1',
      port,
      username: ADDRESS,
      password: PASSWORD,
      authMethod: 'auto' as const,
    });
    const mail = { from: ADDRESS, to: ['support+verify@acme.localhost'], subject: 's', text: 't' };
    const smtp = new NodemailerSmtpSubmission();
    const cases: [MailProviderBehaviour, new (...a: never[]) => Error][] = [
      ['rejects-credentials', InvalidCredentials],
      ['read-timeout', ReadTimeout],
      ['connection-refused', SmtpHostIssue],
    ];
    for (const [behaviour, error] of cases) {
      const { endpoint } = await provider(behaviour, sink.port);
      const e = await failure(smtp.send(server(endpoint.port), mail, { readTimeoutSeconds: 1 }));
      expect({ behaviour, error: e.name }).toEqual({ behaviour, error: error.name });
      expect(e.message).not.toContain(PASSWORD);
    }
  });
});

describe('SandboxMailProvider with the real local service desk', () => {
  it('the desk ingests the forward with the provider verdicts: PASS makes a ticket, forged-from is dropped on DMARC', async () => {
    const outcomes: Outcome[] = [];
    let current: SandboxMailProvider | undefined;
    const stack = await testDesk({
      settings: (s) => void (s.desk = { ...s.desk, dmarcFail: 'drop' }),
      onOutcome: (o) => outcomes.push(o),
      verdicts: (envelope) => current?.verdictsFor(envelope),
    });
    const { desk } = stack;
    const smtpPort = desk.smtpPort;
    closers.push(() => stack.close());
    const deskAddress = 'support+acme-support-1-issue-@desk.localhost';
    for (const behaviour of ['forwards', 'forged-from'] as const) {
      const p = new SandboxMailProvider({
        behaviour,
        deskSmtp: { host: '127.0.0.1', port: smtpPort },
        deskAddress,
        password: PASSWORD,
      });
      current = p;
      const { port } = await p.start();
      // Ordinary mail to the custom address (not +verify): the forward becomes a ticket.
      await submit(port, { to: ADDRESS });
      await p.close();
      await desk.settled();
    }
    expect(outcomes[0]).toMatchObject({ action: 'created' });
    expect(outcomes[1]).toEqual({ action: 'dropped', reason: 'dmarc-fail' });
  });
});

describe('scenarios', () => {
  it('maps scenario names to behaviours; anything else is forwards', () => {
    expect(MAIL_PROVIDER_BEHAVIOURS).toEqual([
      'forwards',
      'rewrites-from',
      'wrong-target',
      'forwards-nothing',
      'rejects-credentials',
      'read-timeout',
      'connection-refused',
      'wrong-token',
      'forged-from',
    ]);
    for (const b of MAIL_PROVIDER_BEHAVIOURS) expect(mailBehaviourFor(`mail-${b}`)).toBe(b);
    expect(mailBehaviourFor('slow+mail-wrong-token')).toBe('wrong-token');
    expect(mailBehaviourFor('healthy')).toBe('forwards');
    expect(mailBehaviourFor(undefined)).toBe('forwards');
    expect(mailBehaviourFor('mail-unknown')).toBe('forwards');
  });

  it('the appliances treat every mail-* scenario like healthy', () => {
    const healthy = manualSandbox({ scenario: 'healthy' }).sandbox;
    for (const b of MAIL_PROVIDER_BEHAVIOURS) {
      const name = `mail-${b}`;
      expect(Object.hasOwn(SCENARIOS, name)).toBe(true);
      const { sandbox } = manualSandbox({ scenario: name });
      expect(sandbox.durations).toEqual(healthy.durations);
      expect(sandbox.faults).toEqual(healthy.faults);
      expect(sandbox.appliance('ghe-primary').up).toBe(true);
      expect(sandbox.appliance('ghe-replica').replication?.running).toBe(true);
    }
  });

  it('wrong-token rebuilds a body that does not show the token line as text', () => {
    const raw =
      'From: support@acme.localhost\r\nTo: support+verify@acme.localhost\r\nSubject: Verify\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      Buffer.from(`Verification token: ${TOKEN}\n`).toString('base64') +
      '\r\n';
    const out = withOtherToken(raw);
    expect(out).toMatch(/^From: support@acme\.localhost\r\n/);
    expect(out).toContain('Content-Transfer-Encoding: 7bit');
    expect(out).not.toContain('base64');
    const token = /Verification token: (\S+)/.exec(out)?.[1];
    expect(token).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(token).not.toBe(TOKEN);
  });
});
