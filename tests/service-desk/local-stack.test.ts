import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxMailer } from '../../local/adapters/outbox-mailer.js';
import type { LocalServiceDesk } from '../../local/service-desk.js';
import type { LocalWorld } from '../../local/world.js';
import type { Outcome } from '../../shared/service-desk/desk.js';
import { deskFromDeps } from '../../shared/service-desk/desk-factory.js';
import { ROOT } from '../helpers/local-world.js';
import { testDesk, type TestDesk } from '../helpers/local-desk.js';

let world: LocalWorld;
let outbox: OutboxMailer;
let logs: string[];
const outcomes: Outcome[] = [];
let desk: LocalServiceDesk;
let url = '';

const send = async (raw: Buffer | string, to = 'support+acme-support-1-issue-@desk.localhost') => {
  const t = nodemailer.createTransport({
    host: '127.0.0.1',
    port: desk.smtpPort,
    secure: false,
    ignoreTLS: true,
  });
  await t.sendMail({ envelope: { from: 'x@example.com', to: [to] }, raw });
  t.close();
  await desk.settled();
};
const fixture = (n: string) => readFileSync(path.join(ROOT, 'tests/fixtures/email', n));
const repo = () => desk.issues.repo('acme/support-tickets')!;
const sign = (body: string, secret = desk.webhookSecret) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let stack: TestDesk;
beforeAll(async () => {
  stack = await testDesk({ onOutcome: (o) => outcomes.push(o) });
  ({ world, desk, outbox, url } = stack);
  logs = world.logLines;
});
afterAll(() => stack.close());

describe('local service desk: SMTP in, ticket in the sandbox GHES, mail out', () => {
  it('creates one private ticket per Message-ID, even for concurrent duplicate deliveries, and thanks the sender', async () => {
    const raw = fixture('utf8-plain.eml');
    await Promise.all([send(raw), send(raw), send(raw)]);
    await send(raw);
    const issues = repo().issues.filter((i) => i.title === 'Cannot log in');
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue.labels).toEqual(['service-desk']);
    expect(issue.user).toBe('support-bot');
    expect(issue.body).toContain('alice@example.com');
    expect(issue.body).toContain('bob@example.com');
    expect(issue.body).not.toContain('support@desk.localhost');
    const thanks = outbox.sent.filter((m) => m.to[0] === 'alice@example.com');
    expect(thanks).toHaveLength(1);
    const t = thanks[0]!;
    expect(t.subject).toBe(`Re: Cannot log in (#${issue.number})`);
    expect(t.from).toBe('Support Bot <support@desk.localhost>');
    expect(t.replyTo).toMatch(/^support\+[0-9a-f]{32}@desk\.localhost$/);
    expect(t.headers).toMatchObject({
      'In-Reply-To': '<utf8-plain-1@example.com>',
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
    });
    expect(t.headers['List-Unsubscribe']).toMatch(
      /^<http:\/\/127\.0\.0\.1:\d+\/service-desk\/unsubscribe\/[0-9a-f]{32}>, <mailto:support\+[0-9a-f]{32}-unsubscribe@desk\.localhost>$/,
    );
    expect(t.text).toContain(`#${issue.number}`);
    expect(outbox.sent.filter((m) => m.to[0] === 'bob@example.com').map((m) => m.subject)).toEqual([
      `Re: Cannot log in (#${issue.number})`,
    ]);
    expect(outcomes.filter((o) => o.action === 'duplicate').length).toBe(3);
  });

  it('drops loops and noise with a logged reason, never creating a ticket', async () => {
    const before = repo().issues.length;
    await send(fixture('auto-reply.eml'));
    await send(fixture('bounce.eml'));
    await send(fixture('no-from.eml'));
    expect(repo().issues.length).toBe(before);
    const reasons = logs
      .filter((l) => l.includes('mail dropped'))
      .map((l) => (JSON.parse(l) as { reason: string }).reason);
    expect(reasons).toEqual(expect.arrayContaining(['auto-submitted', 'delivery-report', 'no-sender']));
  });

  it('hands +verify mail to the verification inbox, never a ticket (no verification waits for this address: dropped with the reason)', async () => {
    const before = repo().issues.length;
    await send(
      'From: owner@custom.example\r\nTo: support+verify@desk.localhost\r\nSubject: Verify custom email address\r\nAuto-Submitted: no\r\nMessage-ID: <v1@custom.example>\r\n\r\nVerification token: abcdefABCDEF\r\n',
      'support+verify@desk.localhost',
    );
    expect(repo().issues.length).toBe(before);
    expect(outcomes.at(-1)).toEqual({ action: 'dropped', reason: 'verification-address-unknown' });
  });

  it('threads customer replies by reply key and by In-Reply-To, reopening closed tickets', async () => {
    const issue = repo().issues.find((i) => i.title === 'Cannot log in')!;
    issue.state = 'closed';
    issue.assignees = ['mona'];
    const key = /\+([0-9a-f]{32})@/.exec(
      outbox.sent.find((m) => m.to[0] === 'alice@example.com')!.replyTo!,
    )![1]!;
    await send(
      `From: alice@example.com\r\nTo: support+${key}@desk.localhost\r\nSubject: Re: Cannot log in\r\nMessage-ID: <r1@example.com>\r\n\r\nStill broken.\r\n\r\nOn Mon, 1 Jan 2024, Support Bot <support@desk.localhost> wrote:\r\n> Thank you\r\n`,
      `support+${key}@desk.localhost`,
    );
    // The raw message's place in the (local) mail bucket, as in AWS.
    expect(issue.comments[0]?.body).toMatch(
      /^\*\*alice@example\.com\*\* replied by email:\n\nStill broken\.\n\nRaw message: s3:\/\/ghes-ops-local-mail\/inbound\/[a-z0-9]{40}$/,
    );
    expect(issue.state).toBe('open');
    expect(issue.comments[1]?.body).toContain('@mona');
    await send(
      'From: alice@example.com\r\nTo: someone@example.com\r\nCc: support+acme-support-1-issue-@desk.localhost\r\nSubject: Re: Cannot log in\r\nIn-Reply-To: <utf8-plain-1@example.com>\r\nMessage-ID: <r2@example.com>\r\n\r\nAlso this.\r\n',
    );
    expect(issue.comments.at(-1)?.body).toContain('Also this.');
    expect(repo().issues.filter((i) => i.title.includes('Cannot log in'))).toHaveLength(1);
  });

  it('mails /reply comments from a signed webhook to subscribed participants; forged or unsigned get 401', async () => {
    const issue = repo().issues.find((i) => i.title === 'Cannot log in')!;
    const payload = (body: string, id: number) =>
      JSON.stringify({
        action: 'created',
        issue: { number: issue.number },
        comment: { id, body, user: { login: 'mona', type: 'User' } },
        repository: { full_name: 'acme/support-tickets' },
      });
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${url}/service-desk/webhook`, {
        method: 'POST',
        body,
        headers: { 'x-github-event': 'issue_comment', ...headers },
      });
    const n = outbox.sent.length;
    const internal = payload('Internal: customer is on the old plan', 1);
    expect((await post(internal, { 'x-hub-signature-256': sign(internal) })).status).toBe(202);
    const reply = payload('/reply Please clear your cookies.', 2);
    expect((await post(reply, {})).status).toBe(401);
    expect((await post(reply, { 'x-hub-signature-256': sign(reply, 'wrong') })).status).toBe(401);
    expect(outbox.sent.length).toBe(n);
    const ok = await post(reply, { 'x-hub-signature-256': sign(reply) });
    expect(ok.status).toBe(200);
    expect((await post(reply, { 'x-hub-signature-256': sign(reply) })).status).toBe(200);
    const notes = outbox.sent.slice(n);
    expect(notes.map((m) => m.to[0]).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    expect(notes[0]?.subject).toBe(`Cannot log in (#${issue.number})`);
    expect(notes[0]?.text).toContain('Please clear your cookies.');
    expect(notes[0]?.text).not.toContain('Internal');
  });

  it('stops mail to a participant who unsubscribes by link or mailto', async () => {
    const issue = repo().issues.find((i) => i.title === 'Cannot log in')!;
    const bobKey = /\+([0-9a-f]{32})@/.exec(
      outbox.sent.find((m) => m.to[0] === 'bob@example.com')!.replyTo!,
    )![1]!;
    // GET only asks (mail scanners follow links); POST (the page's button, or RFC 8058 one-click) unsubscribes.
    const page = await fetch(`${url}/service-desk/unsubscribe/${bobKey}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect(
      await deskFromDeps(world.deps).mailNote('acme/support-tickets', issue.number, 'still subscribed'),
    ).toBe(2);
    const post = await fetch(`${url}/service-desk/unsubscribe/${bobKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('x-frame-options')).toBe('DENY');
    const aliceKey = /\+([0-9a-f]{32})@/.exec(
      outbox.sent.find((m) => m.to[0] === 'alice@example.com')!.replyTo!,
    )![1]!;
    await send(
      `From: alice@example.com\r\nTo: support+${aliceKey}-unsubscribe@desk.localhost\r\nSubject: unsubscribe\r\nMessage-ID: <u1@example.com>\r\n\r\n`,
      `support+${aliceKey}-unsubscribe@desk.localhost`,
    );
    const sent = await deskFromDeps(world.deps).mailNote('acme/support-tickets', issue.number, 'hello');
    expect(sent).toBe(0);
  });

  it('creates tickets from EUC-KR, ISO-2022-JP, HTML-only, malformed and attachment mail', async () => {
    for (const f of [
      'euc-kr.eml',
      'iso-2022-jp.eml',
      'html-only.eml',
      'malformed.eml',
      'bad-charset-nul.eml',
      'with-attachment.eml',
    ])
      await send(fixture(f));
    const titles = repo().issues.map((i) => i.title);
    expect(titles).toEqual(
      expect.arrayContaining(['로그인 문제', 'ログインできません', 'HTML only', 'broken', 'Logs attached']),
    );
    expect(repo().issues.find((i) => i.title === 'Logs attached')?.body).toContain('_.._etc_app.log');
  });

  it('a message with thousands of Cc recipients: one ticket, at most 10 external participants, a note on the rest', async () => {
    const cc = Array.from({ length: 3000 }, (_, i) => `user${i}@example.com`).join(', ');
    const raw = [
      'From: Lee <lee@example.com>',
      'To: support+acme-support-1-issue-@desk.localhost',
      `Cc: ${cc}`,
      'Subject: Mass cc',
      'Message-ID: <mass-cc-1@example.com>',
      '',
      'Everyone is copied.',
      '',
    ].join('\r\n');
    const before = repo().issues.length;
    await send(raw);
    expect(repo().issues.length).toBe(before + 1);
    const ticket = repo().issues.at(-1)!;
    expect(ticket.title).toBe('Mass cc');
    expect(ticket.body).toMatch(/2991 Cc address\(es\) were not added: at most 10 external participants/);
  });

  it('big messages: over 40 MB refused at SMTP with 552 (the sender gets a bounce, as with SES); 35 MB gives a ticket from its headers', async () => {
    const message = (subject: string, id: string, mb: number): Buffer =>
      Buffer.concat([
        Buffer.from(
          [
            'From: Park <park@example.com>',
            'To: support+acme-support-1-issue-@desk.localhost',
            `Subject: ${subject}`,
            `Message-ID: <${id}@example.com>`,
            'Content-Type: text/plain; charset=utf-8',
            '',
            '',
          ].join('\r\n'),
        ),
        Buffer.alloc(mb * 1024 * 1024, 'x'),
      ]);
    await expect(send(message('Too big', 'huge-40', 40))).rejects.toThrow(/552/);
    expect(repo().issues.find((i) => i.title === 'Too big')).toBeUndefined();
    await send(message('Big dump', 'big-35', 35));
    expect(repo().issues.find((i) => i.title === 'Big dump')?.body).toMatch(/over the 30 MB limit/);
  }, 60_000);
});
