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

export function routeMail(mail: ParsedMail, c: DeskConfig, envelope: string[] = []): Route {
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
