import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { filterMail } from '../../shared/service-desk/filter.js';
import { parseMail } from '../../shared/service-desk/parse.js';
import { routeMail } from '../../shared/service-desk/route.js';
import { stripQuoted } from '../../shared/service-desk/strip.js';
import { ROOT } from '../helpers/local-world.js';
import { LIVE_MENTION } from './desk-harness.js';
import { desk } from './helpers.js';

/** Seeded PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const dir = path.join(ROOT, 'tests/fixtures/email');
const fixtures = readdirSync(dir).map((f) => readFileSync(path.join(dir, f)));
const TOKENS = [
  '\r\n',
  '\r\n\r\n',
  '--',
  'Content-Type: multipart/mixed; boundary="a"\r\n',
  '=?UTF-8?B?',
  '?=',
  '=?EUC-KR?Q?=C7=D1?=',
  '\0',
  '<',
  '>',
  '@',
  'charset=iso-2022-jp',
  '\x1b$B',
  'Content-Transfer-Encoding: base64\r\n',
  '<script>',
];

function mutate(buf: Buffer, r: () => number): Buffer {
  const b = Buffer.from(buf);
  const ops = 1 + Math.floor(r() * 8);
  let out = b;
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(r() * out.length);
    const op = r();
    if (op < 0.3) out[at] = Math.floor(r() * 256);
    else if (op < 0.6)
      out = Buffer.concat([
        out.subarray(0, at),
        Buffer.from(TOKENS[Math.floor(r() * TOKENS.length)]!, 'latin1'),
        out.subarray(at),
      ]);
    else if (op < 0.8)
      out = Buffer.concat([
        out.subarray(0, at),
        out.subarray(Math.min(out.length, at + Math.floor(r() * 40))),
      ]);
    else out = out.subarray(0, at);
  }
  return out;
}

describe('parser fuzz', () => {
  it('never throws on 3,000 random and mutated messages, and always gives a defined result', async () => {
    const r = rng(20240601);
    const limits = { maxMessageBytes: 64 * 1024, maxAttachmentBytes: 1024 };
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const input =
        i % 5 === 0
          ? Buffer.from(Array.from({ length: Math.floor(r() * 400) }, () => Math.floor(r() * 256)))
          : mutate(fixtures[i % fixtures.length]!, r);
      const m = await parseMail(input, limits);
      expect(typeof m.body).toBe('string');
      expect(m.body).not.toContain('\0');
      expect(m.body).not.toMatch(/<script/i);
      // No live mention and no raw tag survives the sanitizer (issue 14).
      expect(m.body).not.toMatch(LIVE_MENTION);
      expect(m.body).not.toMatch(/<[A-Za-z!/?]/);
      const f = filterMail(m, desk);
      expect(typeof f.drop).toBe('boolean');
      expect(['project', 'reply', 'unsubscribe', 'verify', 'none']).toContain(routeMail(m, desk).kind);
      stripQuoted(m.body);
      parsed += 1;
    }
    expect(parsed).toBe(3000);
  });
});
