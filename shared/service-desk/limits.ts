import { cutAt } from './sanitize.js';

/**
 * GitHub's limits on what a ticket holds: an issue title is at most 256 characters (sanitize.ts
 * `ticketTitle`), an issue body and each comment at most 65,536 (GHES answers 422 beyond). A body
 * that does not fit is split into parts at line breaks: the first is the issue body (or the
 * comment), the others follow as comments, each marked; past `maxParts` the rest is cut with a
 * note pointing at the raw message.
 */
export const GITHUB_MAX_BODY = 65_536;
/** At most this many parts per message (the issue body or reply comment and its follow-ups). */
export const MAX_PARTS = 6;
/** Room kept in each part for the continuation markers and the cut note. */
const RESERVE = 600;

export function splitForGitHub(
  markdown: string,
  opts: { source?: string; max?: number; maxParts?: number } = {},
): string[] {
  const max = opts.max ?? GITHUB_MAX_BODY;
  const maxParts = opts.maxParts ?? MAX_PARTS;
  if (markdown.length <= max) return [markdown];
  const budget = Math.max(100, max - RESERVE);
  const pieces: string[] = [];
  let pos = 0;
  while (pos < markdown.length && pieces.length < maxParts) {
    let piece = markdown.slice(pos, pos + budget);
    if (pos + piece.length < markdown.length) {
      // Prefer a line break, then a space, in the second half of the window.
      const nl = piece.lastIndexOf('\n');
      const sp = piece.lastIndexOf(' ');
      if (nl > budget / 2) piece = piece.slice(0, nl + 1);
      else if (sp > budget / 2) piece = piece.slice(0, sp + 1);
      else piece = cutAt(piece, piece.length - 1);
      if (!piece) piece = markdown.slice(pos, pos + 1);
    }
    pieces.push(piece);
    pos += piece.length;
  }
  const rest = markdown.length - pos;
  const n = pieces.length;
  return pieces.map((p, i) => {
    let out = i === 0 ? p : `_(continued, part ${i + 1} of ${n})_\n\n${p}`;
    if (i < n - 1) out += '\n\n_(continued in the next comment)_';
    else if (rest > 0)
      out += `\n\n_(${rest} more characters did not fit in ${n} GitHub comments and were cut; the whole message: ${
        opts.source ? opts.source.replace(/[`\r\n]/g, '') : 'the raw message the service desk kept'
      })_`;
    return out.length <= max ? out : cutAt(out, max);
  });
}
