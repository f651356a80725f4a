import { aliasFor, projectKeys } from './aliases.js';
import type { DeskAlias, DeskConfig, DeskProject } from './config.js';
import type { ParsedMail } from './parse.js';

/** Where a received mail goes, decided by the address key (`LOCAL+KEY@DOMAIN`). */
export type Route =
  /** `alias`: the project's alias the mail was addressed to (its labels and assignees apply). */
  | { kind: 'project'; project: DeskProject; alias?: DeskAlias }
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

/** Characters of a local part as the desk reads them (`[A-Za-z0-9._%+-]`). */
const isLocalChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  c === 0x2e ||
  c === 0x5f ||
  c === 0x25 ||
  c === 0x2b ||
  c === 0x2d;
/** Characters of a domain (`[A-Za-z0-9.-]`). */
const isDomainChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  c === 0x2e ||
  c === 0x2d;

const HOSTNAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Every `local@domain` in `text`, lowercased: for each `@`, the whole run of local-part characters
 * before it and of domain characters after it (trailing dots dropped). One pass, no backtracking:
 * each character is looked at a bounded number of times, so a 100 KB header costs microseconds,
 * whatever it holds. Runs longer than 255 characters are no address and are skipped.
 */
export function addressesIn(text: string): { local: string; domain: string }[] {
  const out: { local: string; domain: string }[] = [];
  let from = 0;
  for (;;) {
    const at = text.indexOf('@', from);
    if (at < 0) return out;
    let start = at;
    while (start > 0 && at - start <= 256 && isLocalChar(text.charCodeAt(start - 1))) start -= 1;
    let end = at + 1;
    while (end < text.length && end - at <= 256 && isDomainChar(text.charCodeAt(end))) end += 1;
    from = end > at + 1 ? end : at + 1;
    // A run that went on past the bound is not an address (and is not scanned twice).
    if (at - start > 256 || end - at > 256) continue;
    if (start > 0 && isLocalChar(text.charCodeAt(start - 1))) continue;
    let domainEnd = end;
    while (domainEnd > at + 1 && text.charCodeAt(domainEnd - 1) === 0x2e) domainEnd -= 1;
    const local = text.slice(start, at).toLowerCase();
    const domain = text.slice(at + 1, domainEnd).toLowerCase();
    if (local && domain) out.push({ local, domain });
  }
}

const KEY = /^[a-z0-9_.-]{1,120}$/;

/** Every key addressed to this desk in `text`, in order. */
export function keysIn(text: string, c: DeskConfig): string[] {
  const prefix = `${c.local.toLowerCase()}+`;
  const domain = c.domain.toLowerCase();
  return addressesIn(text)
    .filter((a) => a.domain === domain && a.local.startsWith(prefix))
    .map((a) => a.local.slice(prefix.length))
    .filter((k) => KEY.test(k));
}

export function classifyKey(key: string, c: DeskConfig): Route | undefined {
  if (key === 'verify') return { kind: 'verify' };
  const unsub = /^([0-9a-f]{32})-unsubscribe$/.exec(key);
  if (unsub?.[1]) return { kind: 'unsubscribe', key: unsub[1] };
  if (/^[0-9a-f]{32}$/.test(key)) return { kind: 'reply', key };
  const project = c.projects.find((p) => projectKeys(p).includes(key));
  if (!project) return undefined;
  const alias = aliasFor(project, key);
  return alias ? { kind: 'project', project, alias } : { kind: 'project', project };
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

const VERIFY_LOCAL = /^[a-z0-9._%-]{1,64}\+verify$/;
/** Every `<local>+verify@<domain>` address the mail names (verify headers, then the envelope), lowercased. */
export function verifyAddressesIn(mail: ParsedMail, envelope: string[] = []): string[] {
  const sources = [...VERIFY_HEADERS.flatMap((h) => mail.headers.get(h) ?? []), ...envelope];
  const found = sources.flatMap((text) =>
    addressesIn(text)
      .filter((a) => VERIFY_LOCAL.test(a.local) && a.domain.length <= 253 && HOSTNAME.test(a.domain))
      .map((a) => `${a.local}@${a.domain}`),
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
  const domain = c.domain.toLowerCase();
  const found = sources.flatMap((text) =>
    addressesIn(text)
      .filter((a) => a.domain === domain && a.local.length <= 200)
      .map((a) => `${a.local}@${a.domain}`),
  );
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
  const suffix = `@${c.domain.toLowerCase()}>`;
  for (const id of mail.references) {
    const m = /^<reply-([0-9a-f]{32})(@[^>]*>)$/.exec(id.toLowerCase());
    if (m?.[1] && m[2] === suffix) return { kind: 'reply', key: m[1] };
  }
  return { kind: 'none' };
}
