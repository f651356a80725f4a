import { aliasKey, defaultKey, type DeskConfig, type DeskProject } from './config.js';
import type { ParsedMail } from './parse.js';

/** Where a received mail goes, decided by the address key (`LOCAL+KEY@DOMAIN`). */
export type Route =
  | { kind: 'project'; project: DeskProject }
  | { kind: 'reply'; key: string }
  | { kind: 'unsubscribe'; key: string }
  | { kind: 'verify' }
  | { kind: 'none' };

/** Headers searched for the key, in order (then the envelope recipients). */
export const KEY_HEADERS = [
  'to',
  'delivered-to',
  'x-delivered-to',
  'envelope-to',
  'x-envelope-to',
  'received',
  'x-original-to',
  'x-forwarded-to',
  'cc',
] as const;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every key addressed to this desk in `text`, in order. */
export function keysIn(text: string, c: DeskConfig): string[] {
  const re = new RegExp(
    `(?:^|[^A-Za-z0-9._%+-])${escape(c.local)}\\+([A-Za-z0-9_.-]{1,120})@${escape(c.domain)}(?![A-Za-z0-9-])`,
    'gi',
  );
  return [...text.matchAll(re)].map((m) => (m[1] ?? '').toLowerCase());
}

export function classifyKey(key: string, c: DeskConfig): Route | undefined {
  if (key === 'verify') return { kind: 'verify' };
  const unsub = /^([0-9a-f]{32})-unsubscribe$/.exec(key);
  if (unsub?.[1]) return { kind: 'unsubscribe', key: unsub[1] };
  if (/^[0-9a-f]{32}$/.test(key)) return { kind: 'reply', key };
  const project = c.projects.find((p) => key === defaultKey(p) || key === aliasKey(p));
  return project ? { kind: 'project', project } : undefined;
}

/**
 * Headers where a custom address's `+verify` address shows (besides the envelope). The custom
 * address is on the customer's domain, so these match `<local>+verify@<any domain>`. Not Cc: a
 * customer copying someone's `+verify` address must still reach the desk.
 */
export const VERIFY_HEADERS = [
  'to',
  'delivered-to',
  'x-delivered-to',
  'x-original-to',
  'x-forwarded-to',
] as const;

const VERIFY_ADDRESS =
  /(?:^|[^A-Za-z0-9._%+-])([A-Za-z0-9._%-]{1,64}\+verify@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?![A-Za-z0-9.-]*[A-Za-z0-9-])/gi;

/** Every `<local>+verify@<domain>` address the mail names (verify headers, then the envelope), lowercased. */
export function verifyAddressesIn(mail: ParsedMail, envelope: string[] = []): string[] {
  const sources = [...VERIFY_HEADERS.flatMap((h) => mail.headers.get(h) ?? []), ...envelope];
  const found = sources.flatMap((text) =>
    [...text.matchAll(VERIFY_ADDRESS)].map((m) => (m[1] ?? '').toLowerCase()),
  );
  return [...new Set(found)];
}

/** Headers that say where a forwarded mail was delivered, when there is no envelope. */
const DELIVERY_HEADERS = ['delivered-to', 'x-delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to'];

/**
 * The service desk addresses (on the desk's domain) a mail was delivered to: the envelope
 * recipients (SES receipt recipients, SMTP RCPT TO), which the sender cannot forge; the
 * delivery headers only when there is no envelope. Lowercased, in order, once each.
 */
export function deliveredTo(mail: ParsedMail, c: DeskConfig, envelope: string[] = []): string[] {
  const sources = envelope.length ? envelope : DELIVERY_HEADERS.flatMap((h) => mail.headers.get(h) ?? []);
  const re = new RegExp(`[A-Za-z0-9._%+-]{1,200}@${escape(c.domain)}(?![A-Za-z0-9.-]*[A-Za-z0-9-])`, 'gi');
  const found = sources.flatMap((text) => [...text.matchAll(re)].map((m) => m[0].toLowerCase()));
  return [...new Set(found)];
}

export function routeMail(mail: ParsedMail, c: DeskConfig, envelope: string[] = []): Route {
  // Custom-email verification mail, forwarded by the customer's provider: never a ticket.
  if (verifyAddressesIn(mail, envelope).length) return { kind: 'verify' };
  const sources: string[] = [];
  for (const h of KEY_HEADERS) sources.push(...(mail.headers.get(h) ?? []));
  sources.push(...envelope);
  for (const text of sources) {
    for (const key of keysIn(text, c)) {
      const route = classifyKey(key, c);
      if (route) return route;
    }
  }
  // Replies whose To lost the key: our thread marker in References.
  const refRe = new RegExp(`^<reply-([0-9a-f]{32})@${escape(c.domain)}>$`, 'i');
  for (const id of mail.references) {
    const m = refRe.exec(id);
    if (m?.[1]) return { kind: 'reply', key: m[1].toLowerCase() };
  }
  return { kind: 'none' };
}
