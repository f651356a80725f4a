import { describe, expect, it } from '@jest/globals';
import { InputValidationError } from '../../shared/errors.js';
import {
  assertHeaderValueSafe,
  assertMailHeadersSafe,
  headerValueProblem,
} from '../../shared/mail/headers.js';
import type { OutgoingMail } from '../../shared/mail/mailer.js';

const ok: OutgoingMail = { from: 'a@example.com', to: ['b@example.com'], subject: 's', text: 't' };

function problems(mail: OutgoingMail): { field: string; problem: string }[] {
  try {
    assertMailHeadersSafe(mail);
  } catch (e) {
    expect(e).toBeInstanceOf(InputValidationError);
    return (e as InputValidationError).problems;
  }
  return [];
}

describe('mail header safety', () => {
  it('accepts ordinary values, including non-ASCII text', () => {
    expect(headerValueProblem('auto-generated')).toBeUndefined();
    expect(headerValueProblem('Bundle envoyé ✓ — 1234567')).toBeUndefined();
    expect(problems({ ...ok, headers: { 'X-A': 'x', 'List-Id': '<ghes-ops.example.com>' } })).toEqual([]);
  });

  it.each(['a\r\nBcc: x@example.com', 'a\nb', 'a\rb', 'a\0b', 'a\x1bb'])('refuses %j', (value) => {
    expect(headerValueProblem(value)).toBeDefined();
    expect(() => assertHeaderValueSafe('subject', value)).toThrow(InputValidationError);
  });

  it('collects every problem, names each field and never echoes values', () => {
    const found = problems({
      from: 'a@example.com\r\nBcc: evil@example.com',
      to: [],
      subject: 'x\ny',
      text: 'body lines\nare fine',
      headers: {
        'Bad Name': 'v',
        'Reply-To': 'r@example.com',
        'X-Ok': 'fine',
        'X-Evil': 'q\r\nBcc: evil@example.com',
      },
    });
    expect(found.map((p) => p.field)).toEqual([
      'from',
      'to',
      'subject',
      'headers."Bad Name"',
      'headers.Reply-To',
      'headers.X-Evil',
    ]);
    expect(JSON.stringify(found)).not.toContain('evil');
  });
});
