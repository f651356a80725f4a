import type { Octokit } from '@octokit/core';
import { GhesOpsError } from '../errors.js';

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
}

export interface TicketRepository {
  /** `private`, `internal` or `public`. */
  visibility(repo: string): Promise<'private' | 'internal' | 'public'>;
  createIssue(repo: string, issue: { title: string; body: string; labels: string[] }): Promise<Ticket>;
  getIssue(repo: string, number: number): Promise<Ticket>;
  addComment(repo: string, number: number, body: string): Promise<{ id: number; url: string }>;
  reopen(repo: string, number: number): Promise<void>;
  addLabels(repo: string, number: number, labels: string[]): Promise<void>;
  /** A text file of the repository's default branch, or `undefined` when it does not exist. */
  readFile(repo: string, path: string): Promise<string | undefined>;
}

/** The GHES API refused or failed a ticket operation. */
export class TicketApiError extends GhesOpsError {
  readonly name = 'TicketApiError';
}

export type TokenProvider = () => Promise<string>;

interface IssueJson {
  number: number;
  node_id?: string;
  title: string;
  state: string;
  html_url: string;
  assignees?: { login: string }[];
  labels?: ({ name: string } | string)[];
}

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
    import('bottleneck'),
  ]).then(([core, r, t, b]) => ({
    RetryingOctokit: core.Octokit.plugin(r.retry, t.throttling) as unknown as new (
      options: Record<string, unknown>,
    ) => Client,
    Bottleneck: b.default,
  })));

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
          write: new Bottleneck.Group(
            minWrite > 0 ? { maxConcurrent: 1, minTime: minWrite } : { maxConcurrent: 10 },
          ),
          search: new Bottleneck.Group({ maxConcurrent: 1, minTime: 2000 }),
          // Issue and comment creation count as notification-triggering writes (3 s apart by default).
          notifications: new Bottleneck.Group(
            minWrite > 0 ? { maxConcurrent: 1, minTime: Math.max(minWrite, 3000) } : { maxConcurrent: 10 },
          ),
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

  async addLabels(repo: string, number: number, labels: string[]): Promise<void> {
    await this.call('POST', `${this.path(repo)}/issues/${number}/labels`, { labels });
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
  };
}
