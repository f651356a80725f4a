import { createHash } from 'node:crypto';
import type { Address, Email } from 'postal-mime';
import { PATTERNS } from '../validate.js';
import { cleanText, ticketMarkdown } from './sanitize.js';

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
  /**
   * `<id>`, lowercased: the mail's own Message-ID when it is well-formed (printable ASCII, one
   * `@`), else a synthetic `<sha256-...@synthetic.invalid>` of the raw message, so a redelivery
   * still deduplicates and no control character ever reaches an outgoing header.
   */
  messageId?: string;
  /** True when `messageId` is synthetic (missing or malformed in the mail). */
  syntheticMessageId?: boolean;
  from?: string;
  fromName?: string;
  sender?: string;
  replyTo?: string;
  returnPath?: string;
  to: string[];
  cc: string[];
  /** Display names by (lowercased) address, decoded (encoded words, charsets), controls stripped. */
  names?: Record<string, string>;
  /** A delivery status notification (multipart/report; report-type=delivery-status). */
  report?: DeliveryReport;
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

/** What a DSN says (RFC 3464): per recipient the action and status; the original's headers. */
export interface DeliveryReport {
  /** `address`: Final-Recipient (else Original-Recipient); `original`: Original-Recipient when given. */
  recipients: { address: string; original?: string; action: string; status: string }[];
  /** Headers of the returned message (message/rfc822 or text/rfc822-headers part). */
  original?: Map<string, string[]>;
}

export interface ParseLimits {
  maxMessageBytes: number;
  maxAttachmentBytes: number;
}

// eslint-disable-next-line no-control-regex -- NUL and other controls are what we remove
const CONTROLS = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** A Message-ID's inside: printable ASCII without `<`, `>`, `"`, `\\` or backtick, with one `@` not at an end. */
const ID_INSIDE = /^[!#-;=?-[\]-_a-~]{1,900}$/;
const validInside = (inside: string): boolean => {
  const at = inside.indexOf('@');
  return ID_INSIDE.test(inside) && at > 0 && at === inside.lastIndexOf('@') && at < inside.length - 1;
};

/** `<id>` lowercased when `value` is one well-formed message id (brackets optional), else undefined. */
export function normalizeId(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  const inside = v.startsWith('<') && v.endsWith('>') ? v.slice(1, -1) : v;
  return validInside(inside) ? `<${inside.toLowerCase()}>` : undefined;
}

/** Every well-formed `<id>` in a References or In-Reply-To value, lowercased (malformed ones skipped). */
export function messageIds(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/<([^<>]{1,900})>/g)]
    .map((m) => m[1] ?? '')
    .filter(validInside)
    .map((inside) => `<${inside.toLowerCase()}>`);
}

/** The synthetic id of a message without a usable Message-ID: the hash of the raw bytes. */
export function syntheticMessageId(raw: Uint8Array): string {
  return `<sha256-${createHash('sha256').update(raw).digest('hex')}@synthetic.invalid>`;
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

/** postal-mime, loaded with the first mail (not when the function is loaded: the HTTP routes never parse mail). */
let postalMime: Promise<typeof import('postal-mime').default> | undefined;
const mimeParser = (): Promise<typeof import('postal-mime').default> =>
  (postalMime ??= import('postal-mime').then((m) => m.default));

export async function parseMail(raw: Uint8Array, limits: ParseLimits): Promise<ParsedMail> {
  const PostalMime = await mimeParser();
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
  // The source text first (for the notes), then the one sanitizer: decode, strip, neutralize.
  let source: string;
  if (!email) {
    const s = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.length, 200_000)).toString('utf8');
    const bodyStart = s.search(/\r?\n\r?\n/);
    source = bodyStart < 0 ? '' : s.slice(bodyStart).trim();
  } else if (email.text && email.text.trim()) {
    source = email.text;
  } else {
    source = email.html ?? '';
  }
  if (source.includes('\0') || (email?.subject ?? '').includes('\0')) notes.push('NUL bytes were removed');
  if (source.includes('\uFFFD'))
    notes.push('some characters could not be decoded (unknown or invalid charset)');
  // htmlparser2 only for mail without a text part.
  const text =
    email && !(email.text && email.text.trim()) && email.html
      ? (await import('./html.js')).htmlToMarkdown(source)
      : ticketMarkdown(source);
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
  const subject = cleanText(email?.subject ?? '', { decode: false })
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 1000);
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
  const rawId = email?.messageId ?? headers.get('message-id')?.[0];
  const id = normalizeId(rawId);
  if (id) out.messageId = id;
  else {
    out.messageId = syntheticMessageId(raw);
    out.syntheticMessageId = true;
    if (rawId?.trim())
      notes.push('the Message-ID is malformed (control characters or not an id): a synthetic id is used');
  }
  const names: Record<string, string> = {};
  for (const a of [...fromList, ...flatten(email?.replyTo), ...flatten(email?.cc)]) {
    const addr = plainAddress(a.address, [], 'name');
    const name = cleanText(a.name ?? '', { decode: false })
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 100);
    if (addr && name && names[addr] === undefined) names[addr] = name;
  }
  if (Object.keys(names).length) out.names = names;
  const report = deliveryReport(email, contentType, headers);
  if (report) out.report = report;
  const from = plainAddress(fromAddr?.address, notes, 'From');
  if (from) out.from = from;
  if (fromAddr?.name)
    out.fromName = cleanText(fromAddr.name, { decode: false }).replace(/\s+/g, ' ').trim().slice(0, 100);
  const sender = plainAddress(flatten(email?.sender)[0]?.address, notes, 'Sender');
  if (sender) out.sender = sender;
  const replyTo = plainAddress(flatten(email?.replyTo)[0]?.address, notes, 'Reply-To');
  if (replyTo) out.replyTo = replyTo;
  const rp = email?.returnPath ?? headers.get('return-path')?.[0];
  if (rp !== undefined) out.returnPath = rp.replace(/[<>\s]/g, '').toLowerCase();
  const irt = messageIds(email?.inReplyTo ?? headers.get('in-reply-to')?.[0])[0];
  if (irt) out.inReplyTo = irt;
  return out;
}

const bytesText = (
  content: MailAttachment['content'] | ArrayBuffer | string | undefined,
  max: number,
): string => {
  if (content === undefined) return '';
  if (typeof content === 'string') return content.slice(0, max);
  const u8 = content instanceof ArrayBuffer ? new Uint8Array(content) : content;
  return Buffer.from(u8.buffer, u8.byteOffset, Math.min(u8.byteLength, max)).toString('utf8');
};

/**
 * The delivery status notification of a `multipart/report; report-type=delivery-status` (RFC
 * 3464/3462): each per-recipient block's Final-Recipient (else Original-Recipient), Action and
 * Status, and the returned message's headers. Read line by line (the status part is at most 64 KB).
 */
function deliveryReport(
  email: Email | undefined,
  contentType: string,
  headers: Map<string, string[]>,
): DeliveryReport | undefined {
  if (!email || contentType !== 'multipart/report') return undefined;
  const type = headers.get('content-type')?.[0] ?? '';
  if (!/report-type\s*=\s*"?delivery-status/i.test(type)) return undefined;
  const status = email.attachments.find((a) => /^message\/(global-)?delivery-status$/i.test(a.mimeType));
  if (!status) return undefined;
  const recipients: DeliveryReport['recipients'] = [];
  // Blocks are separated by empty lines; the first is per message, the others per recipient.
  const unfolded = bytesText(status.content, 65_536).replace(/\r?\n[ \t]+/g, ' ');
  for (const block of unfolded.split(/\r?\n\s*\r?\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0 && colon < 60)
        fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const addressOf = (field: string): string | undefined => {
      const v = fields.get(field);
      if (!v) return undefined;
      return plainAddress(
        (v.includes(';') ? v.slice(v.indexOf(';') + 1) : v).replace(/[<>]/g, ''),
        [],
        field,
      );
    };
    const original = addressOf('original-recipient');
    const plain = addressOf('final-recipient') ?? original;
    if (!plain) continue;
    recipients.push({
      address: plain,
      ...(original ? { original } : {}),
      action: (fields.get('action') ?? '').toLowerCase().slice(0, 40),
      status: (fields.get('status') ?? '').split(/\s/)[0]!.slice(0, 20),
    });
  }
  const returned = email.attachments.find((a) =>
    /^(message\/(global|rfc822)|text\/rfc822-headers)$/i.test(a.mimeType),
  );
  const report: DeliveryReport = { recipients };
  if (returned?.content !== undefined) {
    const content = returned.content;
    const u8 =
      typeof content === 'string'
        ? Buffer.from(content)
        : content instanceof ArrayBuffer
          ? new Uint8Array(content)
          : content;
    report.original = rawHeaders(u8);
  }
  return report;
}
