import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import PostalMime, { type Address } from 'postal-mime';
import type { OutboxMessage } from '../adapters/outbox-mailer.js';

/**
 * The local outbox as the console and `ghes-ops outbox` show it: every `.eml` file the outbox
 * mailer wrote (`<stateDir>/outbox`), parsed as a mail client would (postal-mime), newest first;
 * an in-memory outbox (tests) has no files, so its messages are listed from what it kept.
 */
export interface OutboxItem {
  /** The file name without `.eml` (what the console's links use). */
  id: string;
  date: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
}

export interface OutboxMail extends OutboxItem {
  headers: { key: string; value: string }[];
  text: string;
  html?: string;
  /** The message as written (RFC 5322), when it was written to a file. */
  raw?: string;
}

export interface OutboxSource {
  /** The outbox directory (`<stateDir>/outbox`), when messages are written as files. */
  dir?: string;
  /** The messages an in-memory outbox kept. */
  sent?: readonly OutboxMessage[];
}

const ID = /^[A-Za-z0-9_-]{1,120}$/;
const addr = (a: Address | undefined): string =>
  !a ? '' : 'address' in a && a.address ? (a.name ? `${a.name} <${a.address}>` : a.address) : a.name;

async function files(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.eml')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

async function parse(id: string, raw: string, withBody: boolean): Promise<OutboxMail> {
  const m = await PostalMime.parse(raw);
  return {
    id,
    date: m.date ?? '',
    from: addr(m.from),
    to: (m.to ?? []).map(addr),
    cc: (m.cc ?? []).map(addr),
    subject: m.subject ?? '',
    headers: m.headers.map((h) => ({ key: h.key, value: h.value })),
    text: withBody ? (m.text ?? '') : '',
    ...(withBody && m.html ? { html: m.html } : {}),
    ...(withBody ? { raw } : {}),
  };
}

function fromSent(m: OutboxMessage, i: number): OutboxMail {
  return {
    id: `m${i + 1}`,
    date: m.sentAt,
    from: m.from,
    to: [...m.to],
    cc: [...m.cc],
    subject: m.subject,
    headers: Object.entries(m.headers).map(([key, value]) => ({ key: key.toLowerCase(), value })),
    text: m.text,
    ...(m.html !== undefined ? { html: m.html } : {}),
  };
}

/** The outbox, newest first. */
export async function listOutbox(source: OutboxSource): Promise<OutboxItem[]> {
  if (source.dir) {
    const names = await files(source.dir);
    const items = await Promise.all(
      names.map(async (n) => {
        const {
          headers: _h,
          text: _t,
          ...item
        } = await parse(n.slice(0, -4), await readFile(path.join(source.dir!, n), 'utf8'), false);
        return item;
      }),
    );
    return items.reverse();
  }
  return (source.sent ?? [])
    .map((m, i) => {
      const { headers: _h, text: _t, html: _x, ...item } = fromSent(m, i);
      return item;
    })
    .reverse();
}

/** One message with its headers, text, HTML and raw form; undefined when there is no such message. */
export async function outboxMail(source: OutboxSource, id: string): Promise<OutboxMail | undefined> {
  if (!ID.test(id)) return undefined;
  if (source.dir) {
    const name = `${id}.eml`;
    if (!(await files(source.dir)).includes(name)) return undefined;
    return parse(id, await readFile(path.join(source.dir, name), 'utf8'), true);
  }
  const i = Number(/^m(\d+)$/.exec(id)?.[1] ?? 0) - 1;
  const m = source.sent?.[i];
  return m ? fromSent(m, i) : undefined;
}

/** `ghes-ops outbox`: one line per message. */
export function formatOutbox(items: readonly OutboxItem[]): string[] {
  if (!items.length) return ['the outbox is empty'];
  return items.map((m) => `${m.date}  ${m.to.join(', ')}  "${m.subject}"  (${m.id})`);
}
