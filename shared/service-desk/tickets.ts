import type { Octokit } from '@octokit/core';
import { GhesOpsError } from '../errors.js';
import { fetchLimited, type AttachmentFetcher } from './attachments.js';

/**
 * Ticket operations the service desk needs, behind one small interface. The implementation below
 * speaks GitHub's REST API (`/api/v3` on GHES) through Octokit (retries, throttling, timeouts) with a
 * token from a provider function: the GitHub App's installation token when an app is registered,
 * else the token parameter (`restTickets` in ticket-token.ts).
 */
export interface Ticket {
  repo: string;
  number: number;
  /**
   * The issue's global node id: immutable, never reused. A repository deleted and created again,
   * or an issue transferred, gives the same name and number another node id.
   */
  nodeId?: string;
  title: string;
  state: 'open' | 'closed';
  url: string;
  assignees: string[];
  labels: string[];
  /** The issue's description (Markdown). */
  body?: string;
  /** When it was last closed (ISO 8601), while closed. */
  closedAt?: string;
  /** When the issue was opened (ISO 8601), as GitHub reports it. */
  createdAt?: string;
}

/** A comment as the SLA check reads it (issue 19 item 4). */
export interface TicketComment {
  id: number;
  body: string;
  author: string;
  /** The author is a bot (a GitHub App), as GitHub reports `user.type`. */
  bot: boolean;
  createdAt: string;
}

export interface TicketRepository {
  /** `private`, `internal` or `public`. */
  visibility(repo: string): Promise<'private' | 'internal' | 'public'>;
  createIssue(repo: string, issue: { title: string; body: string; labels: string[] }): Promise<Ticket>;
  getIssue(repo: string, number: number): Promise<Ticket>;
  addComment(repo: string, number: number, body: string): Promise<{ id: number; url: string }>;
  reopen(repo: string, number: number): Promise<void>;
  /** Closes the issue; returns it as it now is (its `closedAt`). */
  close(repo: string, number: number): Promise<Ticket>;
  addLabels(repo: string, number: number, labels: string[]): Promise<void>;
  /** A text file of the repository's default branch, or `undefined` when it does not exist. */
  readFile(repo: string, path: string): Promise<string | undefined>;
  /** Files uploaded into comments (attachments of a `/reply`), read from the GHES web origin. */
  readonly uploads?: AttachmentFetcher;
  // deskb (issue 19 items 3-4): alias assignees, SLA check.
  /** Adds assignees; GitHub silently leaves out logins that cannot be assigned. */
  addAssignees(repo: string, number: number, logins: string[]): Promise<void>;
  /** Open issues (not pull requests) carrying `label`, oldest first. */
  listOpen(repo: string, label: string): Promise<Ticket[]>;
  /** The comments of an issue, oldest first. */
  listComments(repo: string, number: number): Promise<TicketComment[]>;
}

/** The GHES API refused or failed a ticket operation. */
export class TicketApiError extends GhesOpsError {
  readonly name = 'TicketApiError';
}

/**
 * The token of each call. `forget`, when there is one, drops a token the provider keeps: the
 * client calls it when GHES answers 401 (revoked or rotated), so the next call reads it again.
 */
export type TokenProvider = (() => Promise<string>) & { forget?: () => void };

interface IssueJson {
  number: number;
  node_id?: string;
  title: string;
  state: string;
  html_url: string;
  assignees?: { login: string }[];
  labels?: ({ name: string } | string)[];
  body?: string | null;
  closed_at?: string | null;
  created_at?: string;
  pull_request?: unknown;
}

interface CommentJson {
  id: number;
  body?: string;
  user?: { login?: string; type?: string } | null;
  created_at: string;
}

/** Pages of 100 read at most (10,000 issues or comments per call). */
const MAX_PAGES = 100;

/** Retry, throttling and timeout of the GHES calls (defaults as probot uses them). */
export interface TicketApiOptions {
  /** Retries of a failed call (5xx, network): default 3. 4xx other than rate limits are not retried. */
  retries?: number;
  /** Base of the retry back-off in ms (attempt n waits base * n^2): default 1000. */
  retryAfterBaseMs?: number;
  /** Per-request timeout: default 30 s. */
  timeoutMs?: number;
  /** Rate-limit waits up to this many seconds are waited out (then retried once): default 60. */
  maxRateLimitWaitSeconds?: number;
  /**
   * Minimum spacing of writes (POST/PATCH; issue and comment creation at least 3 s when set).
   * Default 0: GHES has no secondary rate limits unless the appliance enables rate limiting; set
   * 1000 for GitHub's guidance (the plugin's defaults: writes 1 s, notifying writes 3 s apart).
   * Secondary-limit answers (403/429 with retry-after) are waited out either way.
   */
  minWriteIntervalMs?: number;
}

type Client = Pick<Octokit, 'request'>;

/** Octokit with its plugins, loaded with the first GHES call (not when the function is loaded). */
let octokitModules:
  | Promise<{
      RetryingOctokit: new (options: Record<string, unknown>) => Client;
      Bottleneck: typeof import('bottleneck').default;
    }>
  | undefined;
/** Starts loading Octokit (the SES function does as it starts, overlapping the S3 read and the parse). */
export const preloadTicketClient = (): Promise<unknown> => loadOctokit();
const loadOctokit = (): NonNullable<typeof octokitModules> =>
  (octokitModules ??= Promise.all([
    import('@octokit/core'),
    import('@octokit/plugin-retry'),
    import('@octokit/plugin-throttling'),
    // The light build (no Redis clustering), as the plugins use: the full one adds ~60 KB to the bundle.
    import('bottleneck/light.js'),
  ]).then(([core, r, t, b]) => ({
    RetryingOctokit: core.Octokit.plugin(r.retry, t.throttling) as unknown as new (
      options: Record<string, unknown>,
    ) => Client,
    Bottleneck: b.default,
  })));

/**
 * The write and notification "group" of the throttling plugin when writes are not spaced
 * (`minWriteIntervalMs` 0): runs the job at once. The plugin awaits
 * `group.key(id).schedule(options, job)` before every write; a Bottleneck group of 10 at once
 * there only repeated the global group's limit, at the cost of its event-loop turns.
 */
const UNSPACED_WRITES = {
  key: () => ({
    schedule: <A extends unknown[], R>(...args: [unknown, (...a: A) => R, ...A] | [(...a: A) => R, ...A]) => {
      const [job, ...rest] = (typeof args[0] === 'function' ? args : args.slice(1)) as [(...a: A) => R, ...A];
      return Promise.resolve().then(() => job(...rest));
    },
  }),
};

/**
 * GHES REST for tickets through `@octokit/core` with `@octokit/plugin-retry` (5xx and network
 * errors retried with back-off) and `@octokit/plugin-throttling` (primary and secondary rate
 * limits waited out when short), a timeout on every request, as probot does. Errors become
 * `TicketApiError` with the status.
 */
export class RestTicketRepository implements TicketRepository {
  private clients = new Map<string, Promise<Client>>();

  constructor(
    private readonly apiUrl: string | (() => string),
    private readonly token: TokenProvider,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly opts: TicketApiOptions = {},
  ) {}

  /** Attachments of comments: from the GHES web origin (the API URL's), with the same token. */
  readonly uploads: AttachmentFetcher = {
    origin: () => this.origin(),
    fetchFile: (url, maxBytes, timeoutMs) =>
      fetchLimited(
        this.fetchFn,
        url,
        this.origin(),
        this.token,
        maxBytes,
        timeoutMs ?? this.opts.timeoutMs ?? 30_000,
      ),
  };

  private origin(): string {
    return new URL(typeof this.apiUrl === 'function' ? this.apiUrl() : this.apiUrl).origin;
  }

  private client(): Promise<Client> {
    const base = (typeof this.apiUrl === 'function' ? this.apiUrl() : this.apiUrl).replace(/\/+$/, '');
    let c = this.clients.get(base);
    if (!c) {
      c = this.newClient(base);
      this.clients.set(base, c);
    }
    return c;
  }

  private async newClient(base: string): Promise<Client> {
    const { RetryingOctokit, Bottleneck } = await loadOctokit();
    {
      const maxWait = this.opts.maxRateLimitWaitSeconds ?? 60;
      const onLimit = (retryAfter: number, _o: unknown, _k: unknown, retryCount: number): boolean =>
        retryAfter <= maxWait && retryCount < 1;
      const minWrite = this.opts.minWriteIntervalMs ?? 0;
      return new RetryingOctokit({
        baseUrl: base,
        request: { fetch: this.fetchFn },
        retry: {
          retries: this.opts.retries ?? 3,
          retryAfterBaseValue: this.opts.retryAfterBaseMs ?? 1000,
        },
        throttle: {
          onRateLimit: onLimit,
          onSecondaryRateLimit: onLimit,
          // Own groups: the plugin's defaults are process-wide and space writes by one second.
          // Without write spacing a write needs no limiter of its own: the global group (10 at
          // once) still holds it, and rate-limit answers are still waited out and retried.
          // Each Bottleneck schedule costs several event-loop turns (about 5 ms of latency).
          write:
            minWrite > 0 ? new Bottleneck.Group({ maxConcurrent: 1, minTime: minWrite }) : UNSPACED_WRITES,
          search: new Bottleneck.Group({ maxConcurrent: 1, minTime: 2000 }),
          // Issue and comment creation count as notification-triggering writes (3 s apart by default).
          notifications:
            minWrite > 0
              ? new Bottleneck.Group({ maxConcurrent: 1, minTime: Math.max(minWrite, 3000) })
              : UNSPACED_WRITES,
        },
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      });
    }
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    allow404 = false,
  ): Promise<T | undefined> {
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const client = await this.client();
      const res = await client.request(`${method} ${path}`, {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `token ${await this.token()}`,
          'x-github-api-version': '2022-11-28',
        },
        ...(body !== undefined ? { data: body } : {}),
        request: { signal },
      });
      return res.status === 204 ? undefined : (res.data as T);
    } catch (e) {
      const err = e as { status?: number; message?: string; name?: string };
      if (err.status === 401) this.token.forget?.();
      if (allow404 && err.status === 404) return undefined;
      const status = typeof err.status === 'number' && err.status > 0 ? err.status : undefined;
      const why = signal.aborted
        ? `timed out after ${timeoutMs} ms`
        : status
          ? `answered ${status}`
          : 'failed';
      throw new TicketApiError(
        `GHES API ${method} ${path} ${why}: ${(err.message ?? '').slice(0, 300)}`,
        status ? { status } : {},
      );
    }
  }

  private path(repo: string): string {
    const [owner, name] = repo.split('/');
    return `/repos/${encodeURIComponent(owner ?? '')}/${encodeURIComponent(name ?? '')}`;
  }

  async visibility(repo: string): Promise<'private' | 'internal' | 'public'> {
    const r = (await this.call<{ private: boolean; visibility?: string }>('GET', this.path(repo)))!;
    if (r.visibility === 'internal') return 'internal';
    return r.private ? 'private' : 'public';
  }

  async createIssue(repo: string, issue: { title: string; body: string; labels: string[] }): Promise<Ticket> {
    return toTicket(repo, (await this.call<IssueJson>('POST', `${this.path(repo)}/issues`, issue))!);
  }

  async getIssue(repo: string, number: number): Promise<Ticket> {
    return toTicket(repo, (await this.call<IssueJson>('GET', `${this.path(repo)}/issues/${number}`))!);
  }

  async addComment(repo: string, number: number, body: string): Promise<{ id: number; url: string }> {
    const c = (await this.call<{ id: number; html_url: string }>(
      'POST',
      `${this.path(repo)}/issues/${number}/comments`,
      { body },
    ))!;
    return { id: c.id, url: c.html_url };
  }

  async reopen(repo: string, number: number): Promise<void> {
    await this.call('PATCH', `${this.path(repo)}/issues/${number}`, { state: 'open' });
  }

  async close(repo: string, number: number): Promise<Ticket> {
    return toTicket(
      repo,
      (await this.call<IssueJson>('PATCH', `${this.path(repo)}/issues/${number}`, { state: 'closed' }))!,
    );
  }

  async addLabels(repo: string, number: number, labels: string[]): Promise<void> {
    await this.call('POST', `${this.path(repo)}/issues/${number}/labels`, { labels });
  }

  async addAssignees(repo: string, number: number, logins: string[]): Promise<void> {
    if (logins.length)
      await this.call('POST', `${this.path(repo)}/issues/${number}/assignees`, { assignees: logins });
  }

  /** Every page of a list endpoint (`per_page=100`), each item once (by id). */
  private async all<T extends { id?: number; number?: number }>(path: string): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<number>();
    for (let page = 1; page <= MAX_PAGES; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const items = (await this.call<T[]>('GET', `${path}${sep}per_page=100&page=${page}`)) ?? [];
      let fresh = 0;
      for (const i of items) {
        const id = i.id ?? i.number ?? -1;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push(i);
        fresh += 1;
      }
      if (items.length < 100 || fresh === 0) break;
    }
    return out;
  }

  async listOpen(repo: string, label: string): Promise<Ticket[]> {
    const q = `state=open&labels=${encodeURIComponent(label)}&sort=created&direction=asc`;
    const issues = await this.all<IssueJson & { id?: number; state: string }>(
      `${this.path(repo)}/issues?${q}`,
    );
    return issues
      .filter((i) => !i.pull_request)
      .map((i) => toTicket(repo, i))
      .filter((t) => t.state === 'open' && t.labels.includes(label));
  }

  async listComments(repo: string, number: number): Promise<TicketComment[]> {
    const comments = await this.all<CommentJson>(`${this.path(repo)}/issues/${number}/comments`);
    return comments
      .map((c) => ({
        id: c.id,
        body: c.body ?? '',
        author: c.user?.login ?? '',
        bot: c.user?.type === 'Bot',
        createdAt: c.created_at,
      }))
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  }

  async readFile(repo: string, path: string): Promise<string | undefined> {
    const p = path.split('/').map(encodeURIComponent).join('/');
    const f = await this.call<{ content?: string; encoding?: string }>(
      'GET',
      `${this.path(repo)}/contents/${p}`,
      undefined,
      true,
    );
    if (!f?.content) return undefined;
    return f.encoding === 'base64' ? Buffer.from(f.content, 'base64').toString('utf8') : f.content;
  }
}

function toTicket(repo: string, j: IssueJson): Ticket {
  return {
    repo,
    number: j.number,
    ...(typeof j.node_id === 'string' && j.node_id ? { nodeId: j.node_id } : {}),
    title: j.title,
    state: j.state === 'closed' ? 'closed' : 'open',
    url: j.html_url,
    assignees: (j.assignees ?? []).map((a) => a.login),
    labels: (j.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name)),
    ...(typeof j.body === 'string' ? { body: j.body } : {}),
    ...(typeof j.closed_at === 'string' && j.closed_at ? { closedAt: j.closed_at } : {}),
    ...(typeof j.created_at === 'string' ? { createdAt: j.created_at } : {}),
  };
}
