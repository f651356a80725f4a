import type { Outcome } from '../../shared/service-desk/desk.js';
import type { DeskStore } from '../../shared/service-desk/store.js';
import type { SandboxIssue, SandboxIssues } from '../sandbox/ghes/issues-api.js';
import { describeOutcome } from '../service-desk.js';

/**
 * The service desk as the console and `ghes-ops desk tickets` show it: the tickets (issues of the
 * desk's repositories on the sandbox GHES) with their comments, and their participants from the
 * desk's store (reply keys never shown: each one lets its holder write on the ticket).
 */
export interface TicketView extends Pick<
  SandboxIssue,
  'number' | 'title' | 'body' | 'state' | 'labels' | 'assignees'
> {
  repo: string;
  createdAt: string;
  participants: { address: string; name?: string; unsubscribed?: boolean }[];
  comments: { id: number; user: string; createdAt: string; body: string }[];
  // --- SLA (deskb) -------------------------------------------------------------------------
  // The deskb helper's "time to breach" goes here: fill `sla` in `ticketViews` from its function
  // (e.g. `sla: timeToBreach(record, issue, now)`); the console and the CLI print it when present.
  sla?: { breachAt?: string; remaining?: string; breached?: boolean };
}

export interface TicketSource {
  issues: SandboxIssues;
  store: DeskStore;
  /** The desk's repositories (`owner/name`). */
  repos: readonly string[];
}

/** The tickets of every desk repository, newest first. */
export async function ticketViews(source: TicketSource): Promise<TicketView[]> {
  const out: TicketView[] = [];
  for (const full of source.repos) {
    const repo = source.issues.repo(full);
    if (!repo) continue;
    for (const issue of repo.issues) {
      const record = await source.store.ticket(full, issue.number, issue.node_id);
      out.push({
        repo: `${repo.owner}/${repo.name}`,
        number: issue.number,
        title: issue.title,
        body: issue.body,
        state: issue.state,
        labels: [...issue.labels],
        assignees: [...issue.assignees],
        createdAt: issue.created_at,
        participants: (record?.participants ?? []).map((p) => ({
          address: p.address,
          ...(p.name ? { name: p.name } : {}),
          ...(p.unsubscribed ? { unsubscribed: true } : {}),
        })),
        comments: issue.comments.map((c) => ({
          id: c.id,
          user: c.user,
          createdAt: c.created_at,
          body: c.body,
        })),
      });
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.number - a.number);
}

/** `ghes-ops desk tickets`: each ticket with its participants and comments. */
export function formatTickets(tickets: readonly TicketView[]): string[] {
  if (!tickets.length) return ['no tickets'];
  const lines: string[] = [];
  for (const t of tickets) {
    lines.push(
      `${t.repo}#${t.number} [${t.state}] ${t.title}  labels: ${t.labels.join(', ') || '-'}${t.sla?.remaining ? `  SLA: ${t.sla.breached ? 'breached' : `${t.sla.remaining} to breach`}` : ''}`,
    );
    lines.push(
      `  participants: ${t.participants.map((p) => `${p.name ? `${p.name} <${p.address}>` : p.address}${p.unsubscribed ? ' (unsubscribed)' : ''}`).join(', ') || '-'}`,
    );
    for (const l of t.body.split('\n')) lines.push(`  | ${l}`);
    for (const c of t.comments) {
      lines.push(`  comment by ${c.user} at ${c.createdAt}:`);
      for (const l of c.body.split('\n')) lines.push(`    | ${l}`);
    }
  }
  return lines;
}

/** One inbound message and what became of it (the receive function's outcome). */
export interface InboundView {
  receivedAt: string;
  action: string;
  /** One line, as the terminal of npm start prints it. */
  summary: string;
  reason?: string;
  ticket?: string;
  detail?: string;
}

/** The view of one outcome of the SES receive function. */
export function inboundView(o: Outcome, receivedAt: number): InboundView {
  const v: InboundView = {
    receivedAt: new Date(receivedAt).toISOString(),
    action: o.action,
    summary: describeOutcome(o),
  };
  if ('reason' in o) v.reason = o.reason;
  if ('repo' in o && o.repo && 'number' in o && o.number) v.ticket = `${o.repo}#${o.number}`;
  if (o.action === 'held') v.detail = `${o.from ?? '(no sender)'}: ${o.subject}`;
  if (o.action === 'bounced') v.detail = o.addresses.join(', ');
  if (o.action === 'commented' && o.reopened) v.detail = 'reopened';
  return v;
}

/**
 * The last inbound outcomes of a running stack (newest first, at most `max`): `npm start` keeps
 * them in memory for the console, as its terminal prints one line per mail.
 */
export class InboundLog {
  private readonly items: InboundView[] = [];
  constructor(private readonly max = 200) {}
  add(o: Outcome, receivedAt: number): void {
    this.items.unshift(inboundView(o, receivedAt));
    this.items.length = Math.min(this.items.length, this.max);
  }
  list(): InboundView[] {
    return [...this.items];
  }
}
