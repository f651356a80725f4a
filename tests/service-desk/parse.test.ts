import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { desk } from './helpers.js';
import { filterMail } from '../../shared/service-desk/filter.js';
import { htmlToMarkdown } from '../../shared/service-desk/html.js';
import { parseMail } from '../../shared/service-desk/parse.js';
import { routeMail } from '../../shared/service-desk/route.js';
import { stripQuoted } from '../../shared/service-desk/strip.js';
import { render } from '../../shared/service-desk/templates.js';
import { ROOT } from '../helpers/local-world.js';

const limits = { maxMessageBytes: 30 * 1024 * 1024, maxAttachmentBytes: 1024 };
const fixture = (name: string): Buffer => readFileSync(path.join(ROOT, 'tests/fixtures/email', name));
const parse = (name: string) => parseMail(fixture(name), limits);

describe('parsing real-world mail', () => {
  it('decodes UTF-8, EUC-KR and ISO-2022-JP bodies and encoded-word subjects', async () => {
    const kr = await parse('euc-kr.eml');
    expect(kr.subject).toBe('로그인 문제');
    expect(kr.body).toContain('로그인이 되지 않습니다');
    expect(kr.fromName).toBe('김철수');
    const jp = await parse('iso-2022-jp.eml');
    expect(jp.subject).toBe('ログインできません');
    expect(jp.body).toContain('こんにちは');
    const u = await parse('utf8-plain.eml');
    expect(u.from).toBe('alice@example.com');
    expect(u.cc).toEqual(['bob@example.com', 'support@desk.localhost']);
    expect(u.messageId).toBe('<utf8-plain-1@example.com>');
    expect(u.body).not.toContain('<script>');
    expect(u.body).toContain('@\u200boctocat');
  });

  it('turns HTML-only mail into safe Markdown (no script, no javascript: links)', async () => {
    const m = await parse('html-only.eml');
    expect(m.body).toContain('**team**');
    expect(m.body).toContain('[the page](https://example.com/x)');
    expect(m.body).not.toMatch(/script|javascript|onerror|steal|<img/i);
    expect(htmlToMarkdown('<a href="https://x.y/">a</a><scr<script>ipt>x</script>')).not.toContain('<');
  });

  it('keeps attachments with a safe name and size, and gives bad input a defined outcome', async () => {
    const a = await parse('with-attachment.eml');
    expect(a.attachments).toEqual([expect.objectContaining({ name: '_.._etc_app.log', size: 12 })]);
    expect(a.attachments[0]?.content).toBeDefined();
    const nul = await parse('bad-charset-nul.eml');
    expect(nul.body).not.toContain('\0');
    expect(nul.subject).not.toContain('\0');
    expect(nul.notes.length).toBeGreaterThan(0);
    const look = await parse('lookalike.eml');
    expect(look.from).toBeUndefined();
    expect(look.notes.join()).toMatch(/lookalike/);
    const broken = await parse('malformed.eml');
    expect(broken.from).toBe('grace@example.com');
    const big = await parseMail(Buffer.concat([fixture('utf8-plain.eml'), Buffer.alloc(2048, 'a')]), {
      ...limits,
      maxMessageBytes: 1000,
    });
    expect(big.subject).toBe('Cannot log in');
    expect(big.notes.join()).toMatch(/over the/);
  });

  it('strips quoted history and signatures from replies', () => {
    expect(stripQuoted('Thanks!\n\nOn Mon, 1 Jan 2024, Bot <s@x> wrote:\n> old').text).toBe('Thanks!');
    expect(stripQuoted('Yes\n-- \nAlice').text).toBe('Yes');
    expect(
      stripQuoted('네 확인했습니다\n\n2024. 1. 1. 오전 10:00, Support Bot 님이 작성:\n> 이전').text,
    ).toBe('네 확인했습니다');
    expect(stripQuoted('ok\n##- Please type your reply above this line -##\nold').text).toBe('ok');
  });
});

describe('routing and filtering', () => {
  it('routes by key: default and alias project keys, reply, unsubscribe, verify', async () => {
    const base = await parse('utf8-plain.eml');
    expect(routeMail(base, desk)).toMatchObject({ kind: 'project', project: { slug: 'acme-support' } });
    expect(routeMail(await parse('iso-2022-jp.eml'), desk)).toMatchObject({ kind: 'project' });
    const key = 'a'.repeat(32);
    const withTo = (to: string) => ({ ...base, headers: new Map([['to', [to]]]) });
    expect(routeMail(withTo(`support+${key}@desk.localhost`), desk)).toEqual({ kind: 'reply', key });
    expect(routeMail(withTo(`support+${key}-unsubscribe@desk.localhost`), desk)).toEqual({
      kind: 'unsubscribe',
      key,
    });
    expect(routeMail(withTo('support+verify@desk.localhost'), desk)).toEqual({ kind: 'verify' });
    expect(routeMail(withTo('support+nope@desk.localhost'), desk)).toEqual({ kind: 'none' });
    expect(
      routeMail(
        { ...base, headers: new Map([['x-original-to', ['support+acme-support-help@DESK.localhost']]]) },
        desk,
      ),
    ).toMatchObject({ kind: 'project' });
    expect(routeMail(withTo('x@y.z'), desk, [`support+${key}@desk.localhost`])).toEqual({
      kind: 'reply',
      key,
    });
  });

  it('drops auto-replies, bulk, loops, reports, own mail and verdict failures with a reason', async () => {
    const base = await parse('utf8-plain.eml');
    const withH = (k: string, v: string) => ({ ...base, headers: new Map([...base.headers, [k, [v]]]) });
    expect(filterMail(await parse('auto-reply.eml'), desk)).toEqual({ drop: true, reason: 'auto-submitted' });
    expect(filterMail(await parse('bounce.eml'), desk)).toMatchObject({
      drop: true,
      reason: 'delivery-report',
    });
    expect(filterMail(await parse('no-from.eml'), desk)).toEqual({ drop: true, reason: 'no-sender' });
    expect(filterMail(withH('precedence', 'bulk'), desk)).toMatchObject({ reason: 'precedence-bulk' });
    expect(filterMail(withH('x-loop', 'x'), desk)).toMatchObject({ reason: 'x-loop' });
    expect(filterMail(withH('x-autoreply', 'yes'), desk)).toMatchObject({ reason: 'x-autoreply' });
    expect(filterMail(withH('auto-submitted', 'no'), desk)).toEqual({ drop: false, labels: [] });
    expect(filterMail({ ...base, from: 'support@desk.localhost' }, desk)).toMatchObject({
      reason: 'from-service-desk-itself',
    });
    expect(filterMail({ ...base, messageId: '<x@desk.localhost>' }, desk)).toMatchObject({
      reason: 'message-id-on-own-domain',
    });
    expect(filterMail(base, desk, { spam: 'FAIL' })).toMatchObject({ reason: 'spam-verdict-fail' });
    expect(filterMail(base, desk, { virus: 'FAIL' })).toMatchObject({ reason: 'virus-verdict-fail' });
    expect(filterMail(base, desk, { dmarc: 'FAIL' })).toEqual({ drop: false, labels: ['dmarc-fail'] });
    expect(filterMail(base, { ...desk, dmarcFail: 'drop' }, { dmarc: 'FAIL' })).toMatchObject({
      reason: 'dmarc-fail',
    });
  });

  it('renders every placeholder, with whitespace inside the braces', () => {
    expect(render('%{ ISSUE_ID } %{ISSUE_PATH} %{UNKNOWN}', { ISSUE_ID: '#3', ISSUE_PATH: 'a/b#3' })).toBe(
      '#3 a/b#3 %{UNKNOWN}',
    );
  });
});
