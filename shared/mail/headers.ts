import { InputValidationError, type FieldProblem } from '../errors.js';
import type { OutgoingMail } from './mailer.js';

/**
 * Header safety shared by every mailer (SES, SMTP, outbox). A CR or LF in a header value would let
 * its author start a new header or the body (header injection), so such values are refused, never
 * cleaned up: a value with a line break is a bug or an attack. Values are not echoed in errors.
 */

/** RFC 5322 field name: printable US-ASCII except the colon. */
const FIELD_NAME = /^[!-9;-~]+$/;
const LINE_BREAK = /[\r\n]/;
/** NUL and line breaks are never valid in a header; other C0 controls are refused too. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this pattern finds
const CONTROL = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * Headers the mailers write themselves from `OutgoingMail` fields. Setting them through `headers`
 * would duplicate or contradict the addressing, so they are refused.
 */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'reply-to',
  'sender',
  'return-path',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

/** The problem with a header value, or `undefined` when it is safe. */
export function headerValueProblem(value: string): string | undefined {
  if (LINE_BREAK.test(value)) return 'must not contain CR or LF (header injection)';
  if (CONTROL.test(value)) return 'must not contain control characters';
  return undefined;
}

/** Checks a header value; throws `InputValidationError` naming `field` when it is unsafe. */
export function assertHeaderValueSafe(field: string, value: string): void {
  const problem = headerValueProblem(value);
  if (problem) throw new InputValidationError([{ field, problem }], 'mail');
}

/**
 * Checks every header a mailer will write for `mail`: From, To, Cc, Reply-To, Subject and the
 * custom headers (names and values). Collects all problems and throws one `InputValidationError`.
 */
export function assertMailHeadersSafe(mail: OutgoingMail): void {
  const problems: FieldProblem[] = [];
  const check = (field: string, value: string): void => {
    const problem = headerValueProblem(value);
    if (problem) problems.push({ field, problem });
  };
  check('from', mail.from);
  if (mail.to.length === 0 && (mail.cc ?? []).length === 0) {
    problems.push({ field: 'to', problem: 'needs at least one recipient' });
  }
  mail.to.forEach((a, i) => check(`to[${i}]`, a));
  (mail.cc ?? []).forEach((a, i) => check(`cc[${i}]`, a));
  if (mail.replyTo !== undefined) check('replyTo', mail.replyTo);
  check('subject', mail.subject);
  (mail.attachments ?? []).forEach((a, i) => {
    check(`attachments[${i}].filename`, a.filename);
    check(`attachments[${i}].contentType`, a.contentType);
  });
  for (const [name, value] of Object.entries(mail.headers ?? {})) {
    const field = `headers.${FIELD_NAME.test(name) ? name : JSON.stringify(name).slice(0, 40)}`;
    if (!FIELD_NAME.test(name)) {
      problems.push({ field, problem: 'is not a valid header name (printable ASCII without ":" or spaces)' });
      continue;
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      problems.push({
        field,
        problem: 'is set by the mailer from the message fields; do not pass it in headers',
      });
      continue;
    }
    if (typeof value !== 'string') {
      problems.push({ field, problem: 'must be a string' });
      continue;
    }
    check(field, value);
  }
  if (problems.length) throw new InputValidationError(problems, 'mail');
}

/** Custom headers as a `[name, value]` list, after `assertMailHeadersSafe`. */
export function customHeaders(mail: OutgoingMail): [string, string][] {
  return Object.entries(mail.headers ?? {});
}
