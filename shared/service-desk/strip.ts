/**
 * Removes quoted history and signatures from a reply: everything from the first reply header
 * ("On ... wrote:", Outlook's "-----Original Message-----" or "From:" block, Korean and Japanese
 * variants, our own reply marker) or signature separator ("-- "), and `>` quoted lines.
 */
export const REPLY_MARKER = '##- Please type your reply above this line -##';

const CUT: RegExp[] = [
  /^##- Please type your reply above this line -##/,
  /^-- ?$/,
  /^_{10,}$/,
  /^-{2,}\s*Original Message\s*-{2,}/i,
  /^-{2,}\s*Forwarded message\s*-{2,}/i,
  /^On .{1,300}wrote:\s*$/,
  /^On .{1,200}$/, // "On Mon, ... <x@y>" continued on the next line with "wrote:"
  /^\d{4}[./-]\s?\d{1,2}[./-]\s?\d{1,2}.{0,200}(작성|wrote|書きました).{0,10}:?\s*$/,
  /^.{1,200}님이 작성:?\s*$/,
  /^.{1,200}(のメッセージ|書きました)[:：]?\s*$/,
  /^(From|보낸 사람|差出人):\s.+$/,
  /^Sent from my \w+/i,
];

export function stripQuoted(text: string): { text: string; stripped: boolean } {
  const lines = text.split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trimEnd();
    const hit = CUT.findIndex((r) => r.test(line));
    if (hit < 0) continue;
    // "On ..." alone counts only when the next line ends with "wrote:".
    if (hit === 6 && !/wrote:\s*$/.test(lines[i + 1] ?? '')) continue;
    // Outlook's "From:" starts the history only after the customer's own text.
    if (hit === 10 && i === 0) continue;
    end = i;
    break;
  }
  const kept = lines.slice(0, end).filter((l) => !/^\s*>/.test(l));
  const out = kept.join('\n').trim();
  return { text: out, stripped: end < lines.length || kept.length < end };
}
