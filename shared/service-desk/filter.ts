import type { DeskConfig } from './config.js';
import type { ParsedMail } from './parse.js';

/** SES receipt verdicts (absent locally). */
export interface Verdicts {
  spam?: string;
  virus?: string;
  spf?: string;
  dkim?: string;
  dmarc?: string;
}

export type FilterResult = { drop: true; reason: string } | { drop: false; labels: string[] };

const h = (m: ParsedMail, name: string): string | undefined => m.headers.get(name)?.[0]?.trim();

/**
 * Loop and noise protection, before anything is created or sent. The first matching rule gives
 * the reason that is logged. (The per-sender burst limit needs the store: see desk.ts.)
 */
export function filterMail(m: ParsedMail, c: DeskConfig, v: Verdicts = {}): FilterResult {
  const drop = (reason: string): FilterResult => ({ drop: true, reason });
  if (v.virus === 'FAIL') return drop('virus-verdict-fail');
  if (v.spam === 'FAIL') return drop('spam-verdict-fail');
  const auto = h(m, 'auto-submitted');
  if (auto !== undefined && auto.toLowerCase() !== 'no') return drop('auto-submitted');
  if (/^yes/i.test(h(m, 'x-autoreply') ?? '') || m.headers.has('x-autorespond')) return drop('x-autoreply');
  if (/^(bulk|list|junk)$/i.test(h(m, 'precedence') ?? '')) return drop('precedence-bulk');
  if (m.headers.has('x-loop')) return drop('x-loop');
  if (m.headers.has('x-auto-response-suppress')) return drop('x-auto-response-suppress');
  if (m.headers.has('x-ghes-ops-ticket')) return drop('own-mail-fingerprint');
  if (m.contentType === 'multipart/report' || /^message\/delivery-status/i.test(m.contentType))
    return drop('delivery-report');
  if (m.returnPath === '') return drop('delivery-report-empty-return-path');
  const sender = m.replyTo ?? m.from ?? m.sender;
  if (!sender) return drop('no-sender');
  if (/^(mailer-daemon|postmaster)@/i.test(m.from ?? sender)) return drop('delivery-report-mailer-daemon');
  const own = (a: string | undefined): boolean =>
    !!a &&
    a.endsWith(`@${c.domain}`) &&
    (a.startsWith(`${c.local.toLowerCase()}@`) || a.startsWith(`${c.local.toLowerCase()}+`));
  if (own(m.from) || own(sender)) return drop('from-service-desk-itself');
  if (m.messageId?.endsWith(`@${c.domain}>`)) return drop('message-id-on-own-domain');
  const labels: string[] = [];
  if (v.dmarc === 'FAIL') {
    if (c.dmarcFail === 'drop') return drop('dmarc-fail');
    labels.push('dmarc-fail');
  }
  return { drop: false, labels };
}
