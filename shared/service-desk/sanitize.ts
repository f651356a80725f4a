// The decoder alone (the package index also loads the encoder's tables).
import { decodeHTML } from 'entities/decode';

/**
 * The one sanitizer for everything that enters a ticket from outside (title, body, display names,
 * attachment names and types, notes, customer replies). Always in this order:
 *
 * 1. decode HTML entities (`entities`, the decoder htmlparser2 uses), so `@&#4;octocat` is seen as
 *    what it will render as;
 * 2. strip control and invisible format characters (C0/C1 controls, zero-width and bidi marks), so
 *    `@\0octocat` or `@\u200Boctocat` cannot hide a mention from step 3;
 * 3. neutralize what would act on GitHub: `@user` / `@org/team` mentions (a zero-width space after
 *    the `@`), raw HTML (`<`, `>`, `&` as entities) and Markdown links and images (`[`, `]` as
 *    entities), so the ticket renders no image, link or ping the customer's text did not spell out.
 *
 * Every function here runs in linear time (single-character-class regexes only).
 */

/** Inserted after `@` so GitHub does not see a mention (it renders as nothing). */
export const MENTION_BREAK = '\u200b';

// eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
const CONTROLS = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;
/**
 * Invisible format characters that can split or disguise a mention or a URL: soft hyphen,
 * zero-width space/non-joiner, direction marks and embeddings/isolates, word joiner and invisible
 * operators, BOM, interlinear annotation, tag characters. The zero-width joiner (emoji sequences)
 * stays: it does not end a GitHub login either.
 */
const INVISIBLE =
  /[\u00ad\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const LINE_SEPARATORS = /\r\n?|[\u2028\u2029\u0085]/g;

/** Steps 1 and 2: decoded (unless `decode: false`, for text a parser already decoded), controls stripped, newlines `\n`. */
export function cleanText(s: string, opts: { decode?: boolean } = {}): string {
  const decoded = opts.decode === false ? s : decodeHTML(s);
  return decoded
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(LINE_SEPARATORS, '\n')
    .replace(CONTROLS, '')
    .replace(INVISIBLE, '');
}

/**
 * GitHub's mention rule: `@` not preceded by an ASCII word character and followed by a login
 * character (`a@b.example` in an address is no mention). Such an `@` gets a zero-width space.
 */
const MENTION = /(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])/g;

/** Step 3 for mentions. */
export function neutralizeMentions(s: string): string {
  return s.replace(MENTION, `@${MENTION_BREAK}`);
}

/** Step 3 for markup: no raw HTML, no Markdown link, image, reference or footnote can form. */
export function escapeMarkup(s: string): string {
  return s.replace(/[&<>[\]]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '[' ? '&#91;' : '&#93;',
  );
}

/** Multi-line customer text for a ticket body or comment (Markdown, safe). */
export function ticketMarkdown(s: string, opts: { decode?: boolean } = {}): string {
  return neutralizeMentions(escapeMarkup(cleanText(s, opts)));
}

/** Cuts `s` to at most `max` characters (UTF-16 units), never inside a surrogate pair or an entity. */
export function cutAt(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  // Do not leave a half entity (`&#9` of `&#91;`) or a lone `@` before its zero-width space.
  const amp = s.lastIndexOf('&', end - 1);
  if (amp >= 0 && end - amp < 8 && s.indexOf(';', amp) >= end) end = amp;
  if (s[end - 1] === '@' && s[end] === MENTION_BREAK) end -= 1;
  return s.slice(0, end);
}

/** One line of text (display names, file names, MIME types, notes): Markdown-safe, whitespace collapsed, at most `max` characters. */
export function ticketInline(s: string, max = 200): string {
  const flat = cleanText(s).replace(/\s+/g, ' ').trim();
  const safe = neutralizeMentions(escapeMarkup(flat));
  return safe.length <= max ? safe : `${cutAt(safe, max - 1)}…`;
}

/** GitHub's limit on an issue title. */
export const MAX_TITLE = 256;

/**
 * An issue title: decoded, no controls, one line, no live mention, at most 256 characters. Titles
 * are shown as text (not HTML), so `<` and `&` stay as written.
 */
export function ticketTitle(s: string): string {
  const flat = neutralizeMentions(cleanText(s).replace(/\s+/g, ' ').trim());
  return flat.length <= MAX_TITLE ? flat : `${cutAt(flat, MAX_TITLE - 1)}…`;
}

/** True when `s` holds a mention GitHub would notify (used by tests and the property test). */
export function hasLiveMention(s: string): boolean {
  return /(?<![A-Za-z0-9_])@[A-Za-z0-9]/.test(s);
}
