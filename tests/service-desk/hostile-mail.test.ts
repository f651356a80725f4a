import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { handleWebhook } from '../../shared/service-desk/webhook.js';
import { htmlToMarkdown } from '../../shared/service-desk/html.js';
import { parseMail } from '../../shared/service-desk/parse.js';
import { routeMail } from '../../shared/service-desk/route.js';
import { markdownToHtml } from '../../shared/service-desk/templates.js';
import { ROOT } from '../helpers/local-world.js';
import { desk as deskConfig } from './helpers.js';
import {
  deskConfig as harnessConfig,
  eml,
  harness,
  LIVE_MENTION,
  signed,
  TO,
  WEBHOOK_SECRET,
} from './desk-harness.js';

/**
 * The findings of the fuzz campaign (issue 14), one test each, through the public path
 * (ServiceDesk.ingest, handleWebhook, parseMail, htmlToMarkdown, markdownToHtml).
 */
const limits = { maxMessageBytes: 30 * 1024 * 1024, maxAttachmentBytes: 1024 };

const created = async (raw: Buffer, h = harness()) => {
  const o = await h.desk.ingest({ raw });
  expect(o.action).toBe('created');
  const issue = h.tickets.issues.at(-1)!;
  return { o, issue, all: [issue.title, issue.body, ...issue.comments].join('\n'), h };
};

const multipart = (parts: string[]): Buffer =>
  eml({
    contentType: 'multipart/mixed; boundary="b"',
    body: `${parts.map((p) => `--b\r\n${p}`).join('\r\n')}\r\n--b--`,
  });

describe('mentions and markup never go live (sanitize: decode, strip, neutralize)', () => {
  it('@\\0octocat in plain text stays a dead mention', async () => {
    const { all } = await created(eml({ body: 'ping @\0octocat and @\u200Bteam/org and @\u0007x' }));
    expect(all).not.toMatch(LIVE_MENTION);
    expect(all).toContain('@\u200boctocat');
  });

  it('@&#4;octocat in HTML stays a dead mention; Caf&eacute; is Café', async () => {
    const { all } = await created(
      eml({
        contentType: 'text/html; charset=utf-8',
        body: '<p>Caf&eacute; @&#4;octocat &#64;hubot @<b></b>acme/team</p>',
      }),
    );
    expect(all).not.toMatch(LIVE_MENTION);
    expect(all).toContain('Café');
  });

  it('an attachment MIME type with markup and a mention is shown inert', async () => {
    const { all } = await created(
      multipart([
        'Content-Type: text/plain\r\n\r\nsee attached',
        'Content-Type: image/png<img src=https://evil.example/x.png>@octocat; name="a.png"\r\nContent-Disposition: attachment; filename="a.png"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=',
      ]),
    );
    expect(all).not.toMatch(/<img/i);
    expect(all).not.toMatch(LIVE_MENTION);
  });

  it('an oversize attachment with a hostile file name: the note is inert', async () => {
    const big = Buffer.alloc(4096, 1).toString('base64');
    const h2 = harness(harnessConfig({}, { maxAttachmentBytes: 100 }));
    const { all } = await created(
      multipart([
        'Content-Type: text/plain\r\n\r\nlog attached',
        `Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="<img src=x onerror=alert(1)>@octocat ![t](https://evil.example/t.png).log"\r\nContent-Transfer-Encoding: base64\r\n\r\n${big}`,
      ]),
      h2,
    );
    expect(all).toMatch(/over the attachment limit/);
    expect(all).not.toMatch(/<img/i);
    expect(all).not.toMatch(/!\[/);
    expect(all).not.toMatch(LIVE_MENTION);
  });

  it('HTML mail cannot smuggle an image or a link the customer did not write', () => {
    const md = htmlToMarkdown(
      '<p>![x](https://evil.example/p.png) [y](https://evil.example/) &lt;img src=x&gt; <img src="https://evil.example/t.png" alt="logo"></p><a href="javascript:alert(1)">js</a>',
    );
    expect(md).not.toMatch(/!\[|\]\(|<img/);
    expect(md).toContain('logo');
    expect(md).not.toContain('javascript');
  });
});

describe('the fuzz findings as fixtures (tests/fixtures/email/fuzz-*.eml)', () => {
  const dir = path.join(ROOT, 'tests/fixtures/email');
  const files = readdirSync(dir).filter((f) => f.startsWith('fuzz-'));

  it('each becomes a ticket with no live mention, tag or image', async () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const { all } = await created(
        readFileSync(path.join(dir, f)),
        harness(harnessConfig({}, { maxAttachmentBytes: 1000 })),
      );
      expect(all).not.toMatch(LIVE_MENTION);
      expect(all).not.toMatch(/<img|!\[/i);
    }
  });
});

describe('message ids', () => {
  it('a control character in the Message-ID gets a synthetic id: thank-you mail goes out, /reply is mailed, redelivery deduplicates', async () => {
    const h = harness();
    const raw = eml({ headers: { 'Message-ID': '<bad\u0001id@example.com>' } });
    const o = await h.desk.ingest({ raw });
    expect(o.action).toBe('created');
    expect(h.mailer.sent).toHaveLength(1);
    for (const v of Object.values(h.mailer.sent[0]!.headers))
      // eslint-disable-next-line no-control-regex -- control characters are what must not be there
      expect(v).not.toMatch(/[\0-\x1f]/);
    expect((await h.desk.ingest({ raw })).action).toBe('duplicate');
    const body = JSON.stringify({
      action: 'created',
      issue: { number: 1 },
      comment: { id: 7, body: '/reply We are on it.', user: { login: 'agent', type: 'User' } },
      repository: { full_name: 'acme/support-tickets' },
    });
    const r = await handleWebhook(signed(body), WEBHOOK_SECRET, h.desk, h.log);
    expect(r).toMatchObject({ status: 200, body: { action: 'mailed', sent: 1 } });
  });

  it('malformed and control-character ids never reach In-Reply-To or References', async () => {
    const m = await parseMail(
      eml({ headers: { 'Message-ID': 'no brackets no at', 'In-Reply-To': '<a\u0002b@x>' } }),
      limits,
    );
    expect(m.messageId).toMatch(/^<sha256-[0-9a-f]{64}@synthetic\.invalid>$/);
    expect(m.inReplyTo).toBeUndefined();
  });
});

describe("GitHub's limits: never a 422", () => {
  it('thousands of attachments and a long text: issue body and every comment within 65,536', async () => {
    const parts = ['Content-Type: text/plain\r\n\r\n' + 'word '.repeat(40_000)];
    for (let i = 0; i < 1500; i++)
      parts.push(
        `Content-Type: text/plain\r\nContent-Disposition: attachment; filename="file-${i}-${'x'.repeat(60)}.txt"\r\n\r\nx`,
      );
    const { issue } = await created(multipart(parts));
    expect(issue.body.length).toBeLessThanOrEqual(65_536);
    expect(issue.comments.length).toBeGreaterThan(0);
    for (const c of issue.comments) expect(c.length).toBeLessThanOrEqual(65_536);
  });

  it('a 2,000-character subject becomes a title of at most 256 characters', async () => {
    const { issue } = await created(eml({ headers: { Subject: 'S'.repeat(2000) } }));
    expect(issue.title.length).toBeLessThanOrEqual(256);
  });
});

describe('conversions through libraries', () => {
  it('outgoing mail renders lists and code, and keeps raw HTML as text', async () => {
    const html = await markdownToHtml(
      '- one\n- two\n\n`code` and <script>alert(1)</script> [x](javascript:alert(1))',
    );
    expect(html).toContain('<li>one</li>');
    expect(html).toContain('<code>code</code>');
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/href="javascript/);
  });

  it('display names (EUC-KR encoded words) reach the ticket', async () => {
    const raw = readFileSync(path.join(ROOT, 'tests/fixtures/email/euc-kr.eml'));
    const { issue } = await created(raw);
    expect(issue.body).toContain('김철수');
  });
});

describe('webhook bodies', () => {
  it('null, a number, a string or an array get 400, not 500', async () => {
    const h = harness();
    for (const body of ['null', '1', '"x"', '[]']) {
      const r = await handleWebhook(signed(body), WEBHOOK_SECRET, h.desk, h.log);
      expect(r.status).toBe(400);
    }
  });
});

describe('bounces', () => {
  it('a hard bounce (Action failed, Status 5.1.1) marks the participant undeliverable and notes it on the ticket', async () => {
    const h = harness();
    await h.desk.ingest({ raw: eml() });
    expect(h.mailer.sent).toHaveLength(1);
    const thanks = h.mailer.sent[0]!;
    const dsn = eml({
      headers: { From: 'MAILER-DAEMON@mx.example.com', To: 'support@desk.localhost', Subject: 'Undelivered' },
      contentType: 'multipart/report; report-type=delivery-status; boundary="r"',
      body: [
        '--r',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--r',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.com',
        '',
        'Final-Recipient: rfc822; alice@example.com',
        'Action: failed',
        'Status: 5.1.1',
        '',
        '--r',
        'Content-Type: text/rfc822-headers',
        '',
        `Message-ID: ${thanks.messageId}`,
        `References: ${thanks.headers.References ?? ''}`,
        `Subject: ${thanks.subject}`,
        '',
        '--r--',
      ].join('\r\n'),
    });
    const o = await h.desk.ingest({ raw: dsn });
    expect(o).toMatchObject({ action: 'bounced', addresses: ['alice@example.com'], number: 1 });
    expect(h.tickets.issues[0]!.comments.join()).toMatch(/bounced/);
    // No more mail to alice: a team reply mails nobody.
    expect(await h.desk.mailNote('acme/support-tickets', 1, 'hello?')).toBe(0);
    expect(h.mailer.sent).toHaveLength(1);
    // After 60 days she is mailed again.
    h.advance(61 * 24 * 3600 * 1000);
    expect(await h.desk.mailNote('acme/support-tickets', 1, 'hello again')).toBe(1);
  });

  it('a forged report (no Message-ID or reply key of ours) marks nobody', async () => {
    const h = harness();
    await h.desk.ingest({ raw: eml() });
    const forged = eml({
      headers: { From: 'MAILER-DAEMON@mx.example.com', To: 'support@desk.localhost' },
      contentType: 'multipart/report; report-type=delivery-status; boundary="r"',
      body: '--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; alice@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <guess@ghes-ops.local>\r\nReferences: <reply-00000000000000000000000000000000@desk.localhost>\r\n\r\n--r--',
    });
    expect(await h.desk.ingest({ raw: forged })).toEqual({
      action: 'dropped',
      reason: 'delivery-report-original-unknown',
    });
    expect(await h.desk.mailNote('acme/support-tickets', 1, 'still here')).toBe(1);
  });

  it('a delayed (4.x.x) report changes nothing', async () => {
    const h = harness();
    const dsn = eml({
      headers: { From: 'MAILER-DAEMON@mx.example.com', To: 'support@desk.localhost' },
      contentType: 'multipart/report; report-type=delivery-status; boundary="r"',
      body: '--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; bob@example.com\r\nAction: delayed\r\nStatus: 4.4.7\r\n\r\n--r--',
    });
    expect(await h.desk.ingest({ raw: dsn })).toMatchObject({ action: 'dropped' });
  });
});

describe('hostile headers still route correctly (linear scanner)', () => {
  it('finds the key and +verify among 100 KB of address-like junk', async () => {
    const junk = `${'a'.repeat(63)}.`.repeat(1500);
    const m = await parseMail(
      eml({ headers: { 'X-Original-To': `a+verify@${junk}- , x+verify@${junk}`, To: `${junk} ${TO}` } }),
      limits,
    );
    expect(routeMail(m, deskConfig)).toMatchObject({ kind: 'project' });
    const v = await parseMail(
      eml({ headers: { 'X-Original-To': `junk ${junk} owner+verify@acme.example` } }),
      limits,
    );
    expect(routeMail(v, deskConfig)).toEqual({ kind: 'verify' });
  });
});
