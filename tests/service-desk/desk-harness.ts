import { createHmac } from 'node:crypto';
import { JournalRecordStore } from '../../local/adapters/journal-record-store.js';
import { OutboxMailer } from '../../local/adapters/outbox-mailer.js';
import { createLogger } from '../../shared/logger.js';
import { parseDeskConfig, type DeskConfig } from '../../shared/service-desk/config.js';
import { ServiceDesk } from '../../shared/service-desk/desk.js';
import {
  TicketApiError,
  type Ticket,
  type TicketComment,
  type TicketRepository,
} from '../../shared/service-desk/tickets.js';

/**
 * An in-memory tickets repository that answers like GitHub: 422 for a title over 256 or a body or
 * comment over 65,536 characters.
 */
export class GitHubLikeTickets implements TicketRepository {
  readonly issues: (Ticket & { body: string; comments: string[]; meta: TicketComment[] })[] = [];
  files = new Map<string, string>();

  /** `now`: the clock issues and comments are stamped with; `login`: who the desk writes as. */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly login = 'support-bot[bot]',
  ) {}

  private issue(repo: string, number: number) {
    const i = this.issues.find((x) => x.repo === repo && x.number === number);
    if (!i) throw new TicketApiError(`GHES API GET ${repo}#${number} answered 404`, { status: 404 });
    return i;
  }

  async visibility(): Promise<'private'> {
    return 'private';
  }

  async createIssue(repo: string, issue: { title: string; body: string; labels: string[] }): Promise<Ticket> {
    if (issue.title.length > 256 || issue.body.length > 65_536)
      throw new TicketApiError('GHES API POST issues answered 422: Validation Failed', { status: 422 });
    const t = {
      repo,
      number: this.issues.length + 1,
      title: issue.title,
      state: 'open' as const,
      url: `https://ghes.example/${repo}/issues/${this.issues.length + 1}`,
      assignees: [],
      labels: [...issue.labels],
      body: issue.body,
      comments: [] as string[],
      meta: [] as TicketComment[],
      createdAt: new Date(this.now()).toISOString(),
    };
    this.issues.push(t);
    return t;
  }

  async getIssue(repo: string, number: number): Promise<Ticket> {
    return this.issue(repo, number);
  }

  async addComment(repo: string, number: number, body: string): Promise<{ id: number; url: string }> {
    if (body.length > 65_536)
      throw new TicketApiError('GHES API POST comments answered 422: Validation Failed', { status: 422 });
    return this.comment(repo, number, body, this.login, this.login.endsWith('[bot]'));
  }

  /** A comment by anyone (a team member's `/reply`, in tests). */
  comment(
    repo: string,
    number: number,
    body: string,
    author: string,
    bot = false,
  ): { id: number; url: string } {
    const i = this.issue(repo, number);
    i.comments.push(body);
    i.meta.push({ id: i.comments.length, body, author, bot, createdAt: new Date(this.now()).toISOString() });
    return { id: i.comments.length, url: `${i.url}#c${i.comments.length}` };
  }

  async reopen(repo: string, number: number): Promise<void> {
    this.issue(repo, number).state = 'open';
  }

  async close(repo: string, number: number): Promise<Ticket> {
    const i = this.issue(repo, number);
    i.state = 'closed';
    i.closedAt = new Date(Date.parse('2026-01-01T00:00:00Z') + ++this.closings * 1000).toISOString();
    return i;
  }
  private closings = 0;

  async addLabels(repo: string, number: number, labels: string[]): Promise<void> {
    const i = this.issue(repo, number);
    for (const l of labels) if (!i.labels.includes(l)) i.labels.push(l);
  }

  async addAssignees(repo: string, number: number, logins: string[]): Promise<void> {
    const i = this.issue(repo, number);
    for (const l of logins) if (!i.assignees.includes(l)) i.assignees.push(l);
  }

  async listOpen(repo: string, label: string): Promise<Ticket[]> {
    return this.issues.filter((i) => i.repo === repo && i.state === 'open' && i.labels.includes(label));
  }

  async listComments(repo: string, number: number): Promise<TicketComment[]> {
    return [...this.issue(repo, number).meta];
  }

  async readFile(_repo: string, path: string): Promise<string | undefined> {
    return this.files.get(path);
  }
}

export const TO = 'support+acme-support-1-issue-@desk.localhost';

export function deskConfig(
  project: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): DeskConfig {
  return parseDeskConfig(
    {
      local: 'support',
      domain: 'desk.localhost',
      publicUrl: 'http://127.0.0.1:1/service-desk',
      projects: [{ slug: 'acme-support', id: 1, repo: 'acme/support-tickets', reopen: true, ...project }],
      ...extra,
    },
    'test',
  );
}

export function harness(config: DeskConfig = deskConfig()) {
  const logs: string[] = [];
  let now = Date.parse('2026-01-01T00:00:00Z');
  const tickets = new GitHubLikeTickets(() => now);
  const mailer = new OutboxMailer();
  const records = new JournalRecordStore({ now: () => now });
  const desk = new ServiceDesk({
    config,
    tickets,
    records,
    mailer,
    log: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
    now: () => now,
  });
  return {
    desk,
    tickets,
    mailer,
    logs,
    config,
    records,
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    log: createLogger({ level: 'error', write: () => undefined }),
  };
}

/** A raw message: headers (From, To, Subject, Message-ID defaulted) and a body. */
export function eml(
  o: { headers?: Record<string, string>; body?: string; contentType?: string } = {},
): Buffer {
  const h: Record<string, string> = {
    From: 'Alice <alice@example.com>',
    To: TO,
    Subject: 'Help',
    'Message-ID': `<m-${Math.random().toString(36).slice(2)}@example.com>`,
    'MIME-Version': '1.0',
    'Content-Type': o.contentType ?? 'text/plain; charset=utf-8',
    ...o.headers,
  };
  const head = Object.entries(h)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${o.body ?? 'Hello'}\r\n`, 'utf8');
}

export const WEBHOOK_SECRET = 'webhook-secret-1';
export const signed = (body: string, delivery = `d-${Math.random()}`, event = 'issue_comment') => ({
  headers: {
    'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
    'x-github-event': event,
    'x-github-delivery': delivery,
  },
  body,
});

/** GitHub's mention rule: `@` not after an ASCII word character, followed by a login character. */
export const LIVE_MENTION = /(?<![A-Za-z0-9_])@[A-Za-z0-9]/;
