import { describe, expect, it } from '@jest/globals';
import { Fields, PATTERNS } from '../../shared/validate.js';
import { InputValidationError } from '../../shared/errors.js';

describe('Fields', () => {
  it('collects every problem and names each field', () => {
    const f = new Fields({
      ticket: '123; rm -rf /',
      notify: ['ops@example.com', 'not-an-address'],
      extra: 1,
    });
    f.only(['ticket', 'notify']);
    f.requiredString('ticket', { pattern: PATTERNS.ticket, hint: '7 digits' });
    f.emails('notify');
    let error: unknown;
    try {
      f.done();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputValidationError);
    const problems = (error as InputValidationError).problems.map((p) => p.field);
    expect(problems).toEqual(['extra', 'ticket', 'notify']);
    expect((error as Error).name).toBe('InputValidationError');
    expect((error as Error).message).toContain('expected 7 digits');
  });
});
