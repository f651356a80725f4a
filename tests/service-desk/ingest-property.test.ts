import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { eml, harness, LIVE_MENTION } from './desk-harness.js';

/**
 * Property-based test over the whole ingest path (parse -> filter -> route -> exactly-once ->
 * ticket -> mail) with hostile pieces in every field. Invariants: no throw other than named
 * errors, no live mention and no HTML tag in any ticket text, title and every body or comment
 * within GitHub's limits, no control character in any outgoing header.
 */
const HOSTILE = [
  '@octocat',
  '@\0octocat',
  '@&#4;octocat',
  '&#64;hubot',
  '@\u200Bacme/team',
  '<img src=https://evil.example/x.png>',
  '![x](https://evil.example/p.png)',
  '[y](https://evil.example/)',
  '<script>alert(1)</script>',
  '&lt;b&gt;',
  'Caf&eacute;',
  '\r\n',
  '\u0007',
  '\u202e',
  '\ud800',
  '=?UTF-8?B?QG9jdG9jYXQ=?=',
  '=?EUC-KR?B?sei2+7z2?=',
  '<a href="x"',
  '<p',
  '`',
  '\\',
  '%{NOTE_TEXT}',
];
const piece = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 12 }));
const text = (max: number) => fc.array(piece, { maxLength: max }).map((a) => a.join(''));
/** One header line's value: no CR/LF (they would end the header, which is another test). */
const headerText = (max: number) => text(max).map((s) => s.replace(/[\r\n]/g, ' '));

const mailArb = fc.record({
  subject: headerText(20),
  name: headerText(6),
  messageId: fc.oneof(
    fc.constant('<ok-1@example.com>'),
    headerText(4).map((s) => `<${s}@example.com>`),
    headerText(3),
    fc.constant(''),
  ),
  html: fc.boolean(),
  body: text(60),
  attachments: fc.array(fc.record({ name: headerText(6), type: headerText(4), size: fc.nat(3000) }), {
    maxLength: 3,
  }),
});

const NAMED = new Set(['DeliveryInProgress', 'ConfigError', 'InputValidationError']);

describe('ingest property', () => {
  it('holds the invariants on hostile mail', async () => {
    await fc.assert(
      fc.asyncProperty(mailArb, async (m) => {
        const h = harness();
        const parts = [
          `Content-Type: ${m.html ? 'text/html' : 'text/plain'}; charset=utf-8\r\n\r\n${m.body}`,
          ...m.attachments.map(
            (a) =>
              `Content-Type: ${a.type || 'application/octet-stream'}; name="${a.name.replace(/"/g, '')}"\r\nContent-Disposition: attachment; filename="${a.name.replace(/"/g, '')}"\r\n\r\n${'x'.repeat(a.size)}`,
          ),
        ];
        const raw = eml({
          headers: {
            From: `"${m.name.replace(/["\\]/g, '')}" <alice@example.com>`,
            Subject: m.subject,
            ...(m.messageId ? { 'Message-ID': m.messageId } : {}),
            'In-Reply-To': m.messageId || '<x@example.com>',
          },
          contentType: 'multipart/mixed; boundary="=b="',
          body: `${parts.map((p) => `--=b=\r\n${p}`).join('\r\n')}\r\n--=b=--`,
        });
        try {
          await h.desk.ingest({ raw, source: 's3://mail/inbound/x' });
        } catch (e) {
          expect(NAMED.has((e as Error).name)).toBe(true);
        }
        for (const issue of h.tickets.issues) {
          expect(issue.title.length).toBeLessThanOrEqual(256);
          expect(issue.title).not.toMatch(LIVE_MENTION);
          for (const b of [issue.body, ...issue.comments]) {
            expect(b.length).toBeLessThanOrEqual(65_536);
            // The Message-ID line is one code span (no mention or tag is rendered inside it).
            const idLine = /^\*\*Message-ID:\*\* (.*)$/m.exec(b)?.[1];
            if (idLine !== undefined) expect(idLine).toMatch(/^`[^`\n]+`$/);
            const rest = b.replace(/^\*\*Message-ID:\*\*.*$/m, '');
            expect(rest).not.toMatch(LIVE_MENTION);
            expect(rest).not.toMatch(/<[A-Za-z!/?]/);
            expect(rest).not.toMatch(/!\[|\]\(https:\/\/evil/);
          }
        }
        expect(h.logs.join('\n')).not.toMatch(/notification mail not sent/);
        for (const mail of h.mailer.sent)
          for (const v of [mail.subject, mail.from, ...mail.to, ...Object.values(mail.headers)])
            // eslint-disable-next-line no-control-regex -- control characters are what must not be there
            expect(v).not.toMatch(/[\0-\x1f\x7f]/);
      }),
      { numRuns: 250, seed: 14 },
    );
  });
});
