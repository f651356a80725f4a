import PostalMime, { type Address, type Email } from 'postal-mime';
import { PATTERNS } from '../validate.js';
import { escapeMarkdownText, htmlToMarkdown } from './html.js';

/** An attachment as the ticket lists it; `content` only when it is kept (within the limit). */
export interface MailAttachment {
  name: string;
  size: number;
  mimeType: string;
  content?: Uint8Array;
}

/**
 * A received message, parsed. Never thrown from: problems become `notes` (shown on the ticket) so
 * malformed input has a defined outcome. Addresses are lowercased plain ASCII mailboxes; an
 * address that is not (lookalike Unicode, garbage) is left out and noted.
 */
export interface ParsedMail {
  size: number;
  messageId?: string;
  from?: string;
  fromName?: string;
  sender?: string;
  replyTo?: string;
  returnPath?: string;
  to: string[];
  cc: string[];
  subject: string;
  /** The body as safe Markdown (plain text escaped, or HTML converted). */
  body: string;
  inReplyTo?: string;
  references: string[];
  contentType: string;
  /** Lowercased header name -> raw values, in order. */
  headers: Map<string, string[]>;
  attachments: MailAttachment[];
  notes: string[];
}

export interface ParseLimits {
  maxMessageBytes: number;
  maxAttachmentBytes: number;
}

// eslint-disable-next-line no-control-regex -- NUL and other controls are what we remove
const CONTROLS = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

function normalizeId(id: string | undefined): string | undefined {
  const m = /<([^<>\s]{1,900})>/.exec(id ?? '') ?? /^\s*([^<>\s]{1,900})\s*$/.exec(id ?? '');
  return m?.[1] ? `<${m[1].toLowerCase()}>` : undefined;
}

export function messageIds(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/<([^<>\s]{1,900})>/g)].map((m) => `<${(m[1] ?? '').toLowerCase()}>`);
}

/** The raw header block (up to the first empty line, at most 1 MB). */
function headerBlock(raw: Uint8Array): string {
  const limit = Math.min(raw.length, 1024 * 1024);
  const text = Buffer.from(raw.buffer, raw.byteOffset, limit).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/** Headers from the raw block (unfolded, values undecoded), lowercased names. */
export function rawHeaders(raw: Uint8Array): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const unfolded = headerBlock(raw).replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^([!-9;-~]{1,100}):\s?(.*)$/.exec(line);
    if (!m?.[1]) continue;
    const key = m[1].toLowerCase();
    const list = out.get(key) ?? [];
    if (list.length < 5000) list.push((m[2] ?? '').slice(0, 100_000));
    out.set(key, list);
  }
  return out;
}

type Addr = Address;
function flatten(list: Addr[] | Addr | undefined): { name: string; address: string }[] {
  const arr = list === undefined ? [] : Array.isArray(list) ? list : [list];
  return arr.flatMap((a) => (a.group ? a.group : [{ name: a.name, address: a.address ?? '' }]));
}

function plainAddress(a: string | undefined, notes: string[], what: string): string | undefined {
  const v = (a ?? '').trim().toLowerCase();
  if (!v) return undefined;
  if (v.length <= 254 && PATTERNS.email.test(v)) return v;
  notes.push(`${what} address is not a plain ASCII mailbox and was ignored (lookalike or malformed)`);
  return undefined;
}

function safeName(name: string | null, i: number): string {
  const n = (name ?? '')
    .replace(CONTROLS, '')
    .replace(/[/\\]/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 120);
  return n || `attachment-${i + 1}`;
}

export async function parseMail(raw: Uint8Array, limits: ParseLimits): Promise<ParsedMail> {
  const notes: string[] = [];
  const headers = rawHeaders(raw);
  const oversize = raw.length > limits.maxMessageBytes;
  let email: Email | undefined;
  if (oversize) {
    notes.push(
      `the message is ${(raw.length / 1048576).toFixed(1)} MB, over the ${(limits.maxMessageBytes / 1048576).toFixed(0)} MB limit: only its headers were read`,
    );
    // Parse the header block alone (addresses, encoded-word subject).
    const block = Buffer.from(headerBlock(raw) + '\r\n\r\n', 'latin1');
    email = await PostalMime.parse(block, { attachmentEncoding: 'arraybuffer' }).catch(() => undefined);
  } else {
    try {
      email = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer', maxNestingDepth: 50 });
    } catch (e) {
      notes.push(
        `the MIME structure could not be parsed (${(e as Error).message.slice(0, 120)}); the raw text is shown`,
      );
    }
  }
  const contentType = (headers.get('content-type')?.[0] ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
  const fromList = flatten(email?.from);
  const fromAddr = fromList[0];
  const to = flatten(email?.to)
    .map((a) => plainAddress(a.address, [], 'To'))
    .filter((a): a is string => !!a);
  const cc = flatten(email?.cc)
    .map((a) => plainAddress(a.address, [], 'Cc'))
    .filter((a): a is string => !!a);
  let text: string;
  if (!email) {
    const s = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.length, 200_000)).toString('utf8');
    const bodyStart = s.search(/\r?\n\r?\n/);
    text = escapeMarkdownText(bodyStart < 0 ? '' : s.slice(bodyStart).trim());
  } else if (email.text && email.text.trim()) {
    text = escapeMarkdownText(email.text);
  } else if (email.html) {
    text = htmlToMarkdown(email.html);
  } else {
    text = '';
  }
  if (/\0/.test(text) || /\0/.test(email?.subject ?? '')) notes.push('NUL bytes were removed');
  if (/\uFFFD/.test(text)) notes.push('some characters could not be decoded (unknown or invalid charset)');
  text = text.replace(CONTROLS, '').replace(/\r\n?/g, '\n');
  const attachments: MailAttachment[] = [];
  let kept = 0;
  (email?.attachments ?? []).forEach((a, i) => {
    const content =
      a.content instanceof ArrayBuffer
        ? new Uint8Array(a.content)
        : typeof a.content === 'string'
          ? Buffer.from(a.content)
          : a.content;
    const size = content.byteLength;
    const att: MailAttachment = { name: safeName(a.filename, i), size, mimeType: a.mimeType.slice(0, 100) };
    if (kept + size <= limits.maxAttachmentBytes) {
      att.content = content;
      kept += size;
    } else {
      notes.push(`attachment ${att.name} (${size} bytes) is over the attachment limit and was not kept`);
    }
    attachments.push(att);
  });
  const subject = (email?.subject ?? '').replace(CONTROLS, '').replace(/\s+/g, ' ').trim().slice(0, 250);
  const out: ParsedMail = {
    size: raw.length,
    to,
    cc,
    subject,
    body: text.trim(),
    references: messageIds(email?.references ?? headers.get('references')?.join(' ')),
    contentType,
    headers,
    attachments,
    notes,
  };
  const id = normalizeId(email?.messageId ?? headers.get('message-id')?.[0]);
  if (id) out.messageId = id;
  const from = plainAddress(fromAddr?.address, notes, 'From');
  if (from) out.from = from;
  if (fromAddr?.name) out.fromName = fromAddr.name.replace(CONTROLS, '').slice(0, 100);
  const sender = plainAddress(flatten(email?.sender)[0]?.address, notes, 'Sender');
  if (sender) out.sender = sender;
  const replyTo = plainAddress(flatten(email?.replyTo)[0]?.address, notes, 'Reply-To');
  if (replyTo) out.replyTo = replyTo;
  const rp = email?.returnPath ?? headers.get('return-path')?.[0];
  if (rp !== undefined) out.returnPath = rp.replace(/[<>\s]/g, '').toLowerCase();
  const irt = normalizeId(email?.inReplyTo);
  if (irt) out.inReplyTo = irt;
  return out;
}
