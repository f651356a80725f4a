import { normalizeId } from './parse.js';
import type { TicketRecord } from './store.js';

/**
 * What every mail the desk sends about a ticket carries: a one-line title, and the headers that
 * thread it under the customer's first mail (In-Reply-To / References, or the participant's reply
 * marker for records without a root id) and keep auto-responders quiet.
 */
export function ticketThread(
  record: Pick<TicketRecord, 'title' | 'rootMessageId' | 'repo' | 'number'>,
  replyKey: string,
  domain: string,
): { title: string; headers: Record<string, string> } {
  // Titles went through the sanitizer; records from before are made one-line here too.
  // eslint-disable-next-line no-control-regex -- control characters never reach a header
  const title = record.title.replace(/[\0-\x1f\x7f-\x9f]+/g, ' ');
  // A root id from an older record is used only when it is still a well-formed id.
  const root = normalizeId(record.rootMessageId);
  const marker = `<reply-${replyKey}@${domain}>`;
  return {
    title,
    headers: {
      'In-Reply-To': root ?? marker,
      References: root ? `${root} ${marker}` : marker,
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'X-GHES-Ops-Ticket': `${record.repo}#${record.number}`,
    },
  };
}
