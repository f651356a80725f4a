import { GhesOpsError } from '../errors.js';

/**
 * Ticket operations the service desk needs, behind one small interface. The implementation below
 * speaks GitHub's REST API (`/api/v3` on GHES) with a token from a provider function: the GitHub
 * App's installation token when an app is registered, else a token from the parameter store (or
 * the sandbox's); see `ghesTickets` in shared/aws/wiring.ts.
 */
export interface Ticket {
  repo: string;
  number: number;
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
  title: string;
  state: string;
  html_url: string;
  assignees?: { login: string }[];
  labels?: ({ name: string } | string)[];
}

export class RestTicketRepository implements TicketRepository {
  constructor(
    private readonly apiUrl: string | (() => string),
    private readonly token: TokenProvider,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    allow404 = false,
  ): Promise<T | undefined> {
    const base = (typeof this.apiUrl === 'function' ? this.apiUrl() : this.apiUrl).replace(/\/+$/, '');
    const res = await this.fetchFn(`${base}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `token ${await this.token()}`,
        'x-github-api-version': '2022-11-28',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (allow404 && res.status === 404) return undefined;
    if (!res.ok) {
      const text = (await res.text()).slice(0, 300);
      throw new TicketApiError(`GHES API ${method} ${path} answered ${res.status}: ${text}`, {
        status: res.status,
      });
    }
    return res.status === 204 ? undefined : ((await res.json()) as T);
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
    title: j.title,
    state: j.state === 'closed' ? 'closed' : 'open',
    url: j.html_url,
    assignees: (j.assignees ?? []).map((a) => a.login),
    labels: (j.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name)),
  };
}
