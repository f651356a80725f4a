import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxMailer } from '../../local/adapters/outbox-mailer.js';
import type { LocalServiceDesk } from '../../local/service-desk.js';
import { customEmailStore, type CustomEmailStore } from '../../shared/service-desk/custom-email/settings.js';
import { ROOT } from '../helpers/local-world.js';
import { testDesk, type TestDesk } from '../helpers/local-desk.js';
import { smtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'custom-smtp-password-1';
let outbox: OutboxMailer;
let logs: string[];
let provider: SmtpSink;
let desk: LocalServiceDesk;
let stack: TestDesk;
let store: CustomEmailStore;

const send = async (raw: Buffer) => {
  const t = nodemailer.createTransport({
    host: '127.0.0.1',
    port: desk.smtpPort,
    secure: false,
    ignoreTLS: true,
  });
  await t.sendMail({
    envelope: { from: 'x@example.com', to: ['support+acme-support-1-issue-@desk.localhost'] },
    raw,
  });
  t.close();
  await desk.settled();
};
const fixture = (n: string, id: string) =>
  Buffer.from(
    readFileSync(path.join(ROOT, 'tests/fixtures/email', n), 'utf8').replace(
      /^Message-ID: .*$/m,
      `Message-ID: <${id}@example.com>`,
    ),
  );

beforeAll(async () => {
  provider = await smtpSink({
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth: (auth, _session, cb) =>
      auth.password === PASSWORD ? cb(null, { user: auth.username }) : cb(new Error('535 bad credentials')),
  });
  stack = await testDesk();
  ({ desk, outbox } = stack);
  logs = stack.world.logLines;
  store = customEmailStore(stack.world.deps);
  await store.set('acme-support', {
    address: 'support@acme.example',
    smtpHost: '127.0.0.1',
    smtpPort: provider.port,
    username: 'support@acme.example',
    password: PASSWORD,
    authMethod: 'plain',
  });
});
afterAll(async () => {
  await stack.close();
  await provider.close();
});

describe('service desk mail from the project’s verified custom address', () => {
  it('sends from the desk address while the custom address is not enabled', async () => {
    await send(fixture('utf8-plain.eml', 'custom-1'));
    expect(provider.received).toHaveLength(0);
    expect(outbox.sent.at(-1)!.from).toBe('Support Bot <support@desk.localhost>');
  });

  it('sends through the customer’s SMTP server From the custom address once verified and enabled', async () => {
    await store.saveState('acme-support', {
      state: 'finished',
      triggeredBy: 'ops@acme.example',
      triggeredAt: new Date().toISOString(),
    });
    await store.enable('acme-support');
    const before = outbox.sent.length;
    await send(fixture('utf8-plain.eml', 'custom-2'));
    expect(outbox.sent.length).toBe(before);
    // The sender and the Cc participant of the fixture, both through the customer's server.
    expect(provider.received.map((m) => m.rcpt).sort()).toEqual([['alice@example.com'], ['bob@example.com']]);
    const got = provider.received.find((m) => m.rcpt[0] === 'alice@example.com')!;
    expect(got.user).toBe('support@acme.example');
    expect(got.raw).toMatch(/^From: Support Bot <support@acme\.example>$/m);
    // Replies still reach the desk directly through the reply key address.
    expect(got.raw).toMatch(/^Reply-To: support\+[0-9a-f]{32}@desk\.localhost$/m);
    expect(got.raw).toMatch(/^Auto-Submitted: auto-generated$/m);
  });

  it('falls back to the desk address when the customer’s SMTP server refuses, and logs why', async () => {
    await provider.close();
    const before = outbox.sent.length;
    await send(fixture('utf8-plain.eml', 'custom-3'));
    expect(outbox.sent.length).toBe(before + 2);
    expect(outbox.sent.at(-1)!.from).toBe('Support Bot <support@desk.localhost>');
    expect(logs.some((l) => l.includes('custom address failed, sent from the desk address instead'))).toBe(
      true,
    );
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });

  it('stops using it when disabled', async () => {
    await store.disable('acme-support');
    const before = outbox.sent.length;
    await send(fixture('utf8-plain.eml', 'custom-4'));
    expect(outbox.sent.length).toBe(before + 2);
    // No new attempt on the customer's server (still down): no new fallback warning.
    expect(logs.filter((l) => l.includes('custom address failed'))).toHaveLength(2);
  });
});
