import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HttpRequest } from '../../http-server.js';
import { json, unauthorized, type SandboxGhes, type TokenInfo } from './ghes-server.js';
import { signWebhook } from './apps.js';

/**
 * Sandbox GHES REST endpoints for repositories, issues, comments, labels, assignees and file
 * contents (`/api/v3/repos/...`), enough for the service desk. State lives in memory and, with a
 * journal file, survives a restart (each change appends the repository or issue as it now is).
 * Repositories and issues carry immutable ids as on GHES (`id`, `node_id`): a repository deleted
 * and created again under the same name is a different repository.
 */
export interface SandboxIssue {
  id: number;
  node_id: string;
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  assignees: string[];
  user: string;
  comments: { id: number; body: string; user: string; created_at: string }[];
  created_at: string;
  closed_at?: string | null;
}

/** A repository webhook (issue_comment and issues events), as Settings → Webhooks adds one. */
export interface SandboxRepoHook {
  url: string;
  secret: string;
}

/** A file uploaded into a comment (GitHub's user-attachments). */
interface SandboxUpload {
  repo: string;
  name: string;
  contentType: string;
  content: Buffer;
}

export interface SandboxRepo {
  id: number;
  node_id: string;
  owner: string;
  name: string;
  private: boolean;
  issues: SandboxIssue[];
  labels: Set<string>;
  files: Map<string, string>;
}

/** GHES-style global node ids: a type prefix and an opaque base64url id. */
const nodeId = (prefix: string, id: number): string =>
  `${prefix}_kwDO${Buffer.from(`ghes-ops-sandbox:${id}`).toString('base64url')}`;

type JournalLine =
  | {
      repo: Omit<SandboxRepo, 'issues' | 'labels' | 'files'> & {
        labels: string[];
        files: [string, string][];
      };
    }
  | { issue: SandboxIssue & { repo: number } }
  | { deleted: number };

export class SandboxIssues {
  readonly repos = new Map<string, SandboxRepo>();
  /** Webhooks per repository (`owner/name`, lower case): in memory, registered again at start. */
  private readonly hooks = new Map<string, SandboxRepoHook>();
  private readonly uploads = new Map<string, SandboxUpload>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Every repository webhook delivery: event, action and the receiver's status. */
  readonly deliveries: { event: string; action: string; status: number; body: string }[] = [];
  private commentSeq = 1000;
  private idSeq = 1;

  constructor(
    private readonly ghes: SandboxGhes,
    private readonly opts: { journal?: string } = {},
  ) {
    if (opts.journal) this.replay(opts.journal);
    const r = (p: string): string => `/api/v3/repos/:owner/:repo${p}`;
    ghes.route('GET', r(''), (req, auth) =>
      this.withRepo(req, auth, (repo) => json(200, this.repoJson(repo))),
    );
    ghes.route('GET', r('/issues'), (req, auth) =>
      this.withRepo(req, auth, (repo) =>
        json(
          200,
          repo.issues.map((i) => this.issueJson(repo, i)),
        ),
      ),
    );
    ghes.route('POST', r('/issues'), (req, auth) =>
      this.withRepo(req, auth, (repo, body) => {
        if (typeof body.title !== 'string' || !body.title)
          return json(422, { message: 'Validation Failed: title' });
        const labels = Array.isArray(body.labels) ? body.labels.map(String) : [];
        labels.forEach((l) => repo.labels.add(l));
        const id = this.idSeq++;
        const issue: SandboxIssue = {
          id,
          node_id: nodeId('I', id),
          number: repo.issues.length + 1,
          title: body.title.slice(0, 256),
          body: typeof body.body === 'string' ? body.body : '',
          state: 'open',
          labels,
          assignees: Array.isArray(body.assignees) ? body.assignees.map(String) : [],
          user: auth!.login,
          comments: [],
          created_at: new Date(this.ghes.sandbox.now()).toISOString(),
        };
        repo.issues.push(issue);
        this.saveIssue(repo, issue);
        return json(201, this.issueJson(repo, issue));
      }),
    );
    ghes.route('GET', r('/issues/:number'), (req, auth) =>
      this.withIssue(req, auth, (repo, issue) => json(200, this.issueJson(repo, issue))),
    );
    ghes.route('PATCH', r('/issues/:number'), (req, auth) =>
      this.withIssue(req, auth, (repo, issue, body) => {
        const wasOpen = issue.state === 'open';
        if (body.state === 'open' || body.state === 'closed') issue.state = body.state;
        if (issue.state === 'closed' && wasOpen)
          issue.closed_at = new Date(this.ghes.sandbox.now()).toISOString();
        if (issue.state === 'open') issue.closed_at = null;
        if (typeof body.title === 'string') issue.title = body.title;
        if (typeof body.body === 'string') issue.body = body.body;
        if (Array.isArray(body.assignees)) issue.assignees = body.assignees.map(String);
        this.saveIssue(repo, issue);
        if (issue.state === 'closed' && wasOpen)
          this.deliver(repo, 'issues', { action: 'closed', issue: this.issueJson(repo, issue) }, auth!);
        return json(200, this.issueJson(repo, issue));
      }),
    );
    ghes.route('GET', r('/issues/:number/comments'), (req, auth) =>
      this.withIssue(req, auth, (repo, issue) =>
        json(
          200,
          issue.comments.map((c) => this.commentJson(repo, issue, c)),
        ),
      ),
    );
    ghes.route('POST', r('/issues/:number/comments'), (req, auth) =>
      this.withIssue(req, auth, (repo, issue, body) => {
        if (typeof body.body !== 'string' || !body.body)
          return json(422, { message: 'Validation Failed: body' });
        const c = {
          id: ++this.commentSeq,
          body: body.body,
          user: auth!.login,
          created_at: new Date(this.ghes.sandbox.now()).toISOString(),
        };
        issue.comments.push(c);
        this.saveIssue(repo, issue);
        this.deliver(
          repo,
          'issue_comment',
          {
            action: 'created',
            issue: this.issueJson(repo, issue),
            comment: this.commentJson(repo, issue, c),
          },
          auth!,
        );
        return json(201, this.commentJson(repo, issue, c));
      }),
    );
    ghes.route('POST', r('/issues/:number/labels'), (req, auth) =>
      this.withIssue(req, auth, (repo, issue, body) => {
        for (const l of Array.isArray(body.labels) ? body.labels.map(String) : [])
          if (!issue.labels.includes(l)) issue.labels.push(l);
        this.saveIssue(repo, issue);
        return json(
          200,
          issue.labels.map((name) => ({ name })),
        );
      }),
    );
    ghes.route('POST', r('/issues/:number/assignees'), (req, auth) =>
      this.withIssue(req, auth, (repo, issue, body) => {
        for (const a of Array.isArray(body.assignees) ? body.assignees.map(String) : [])
          if (!issue.assignees.includes(a)) issue.assignees.push(a);
        this.saveIssue(repo, issue);
        return json(201, this.issueJson(repo, issue));
      }),
    );
    ghes.route('GET', r('/labels'), (req, auth) =>
      this.withRepo(req, auth, (repo) =>
        json(
          200,
          [...repo.labels].map((name) => ({ name })),
        ),
      ),
    );
    ghes.route('GET', '/user-attachments/assets/:id', (req, auth) => this.serveUpload(req.params.id, auth));
    ghes.route('GET', '/user-attachments/files/:id/:name', (req, auth) =>
      this.serveUpload(req.params.id, auth),
    );
    ghes.route('GET', r('/contents/:a/:b/:c'), (req, auth) =>
      this.withRepo(req, auth, (repo) => {
        const path = [req.params.a, req.params.b, req.params.c].join('/');
        const text = repo.files.get(path);
        if (text === undefined) return json(404, { message: 'Not Found' });
        return json(200, {
          type: 'file',
          path,
          encoding: 'base64',
          content: Buffer.from(text).toString('base64'),
        });
      }),
    );
  }

  /**
   * Registers the repository's webhook (`POST /repos/{owner}/{repo}/hooks` on GHES): new comments
   * (`issue_comment` created) and closings (`issues` closed) are POSTed to `url`, signed with
   * `secret` (`X-Hub-Signature-256`), after the API call that caused them answered, as GHES does.
   */
  setHook(full: string, hook: SandboxRepoHook): void {
    this.hooks.set(full.toLowerCase(), hook);
  }

  /** Resolves when every webhook delivery started so far has been answered. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private deliver(repo: SandboxRepo, event: string, payload: Record<string, unknown>, by: TokenInfo): void {
    const hook = this.hooks.get(`${repo.owner}/${repo.name}`.toLowerCase());
    if (!hook) return;
    const sender = { login: by.login, type: by.kind === 'pat' ? 'User' : 'Bot' };
    const comment = payload.comment as Record<string, unknown> | undefined;
    if (comment) comment.user = sender;
    const body = JSON.stringify({ ...payload, repository: this.repoJson(repo), sender });
    const p = (async () => {
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'GitHub-Hookshot/sandbox',
            'x-github-event': event,
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': signWebhook(hook.secret, body),
          },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        this.deliveries.push({
          event,
          action: String(payload.action),
          status: res.status,
          body: await res.text(),
        });
      } catch (e) {
        this.deliveries.push({
          event,
          action: String(payload.action),
          status: 0,
          body: (e as Error).message,
        });
      }
    })();
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /**
   * A file dropped into a comment of `full`: kept in memory and served to authenticated requests
   * (private repositories' attachments need credentials) at the URL GitHub would write into the
   * comment: `/user-attachments/assets/<uuid>` for images, `/user-attachments/files/<id>/<name>`
   * for other files.
   */
  upload(full: string, name: string, content: Buffer, contentType: string): string {
    const id = randomUUID();
    this.uploads.set(id, { repo: full.toLowerCase(), name, content, contentType });
    return contentType.startsWith('image/')
      ? `${this.ghes.url}/user-attachments/assets/${id}`
      : `${this.ghes.url}/user-attachments/files/${id}/${encodeURIComponent(name)}`;
  }

  private serveUpload(id: string | undefined, auth: TokenInfo | undefined): ReturnType<typeof json> {
    const u = id ? this.uploads.get(id) : undefined;
    // GHES answers 404 to a private attachment without credentials.
    if (!u || !auth) return json(404, { message: 'Not Found' });
    return {
      status: 200,
      headers: { 'content-type': u.contentType, 'content-length': String(u.content.length) },
      body: u.content,
    };
  }

  /**
   * The repository `owner/name`: the existing one (kept from an earlier run), or a new one with a
   * new id.
   */
  createRepo(owner: string, name: string, opts: { private: boolean }): SandboxRepo {
    const existing = this.repo(`${owner}/${name}`);
    if (existing) return existing;
    const id = this.idSeq++;
    const repo: SandboxRepo = {
      id,
      node_id: nodeId('R', id),
      owner,
      name,
      private: opts.private,
      issues: [],
      labels: new Set(),
      files: new Map(),
    };
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    this.saveRepo(repo);
    return repo;
  }

  /** Deletes a repository and its issues (a later `createRepo` of the name is a new repository). */
  deleteRepo(full: string): void {
    const repo = this.repo(full);
    if (!repo) return;
    this.repos.delete(full.toLowerCase());
    this.append({ deleted: repo.id });
  }

  /** Records a change to the repository itself (labels, files). */
  saveRepo(repo: SandboxRepo): void {
    const { issues: _issues, labels, files, ...rest } = repo;
    this.append({ repo: { ...rest, labels: [...labels], files: [...files] } });
  }

  private saveIssue(repo: SandboxRepo, issue: SandboxIssue): void {
    this.append({ issue: { ...issue, repo: repo.id } });
  }

  private journalDir = false;

  /**
   * Appends before the API answers (GHES has stored an issue when it answers 201). The directory is
   * made once; the issue line holds the issue as it now is (its comments included).
   */
  private append(line: JournalLine): void {
    if (!this.opts.journal) return;
    if (!this.journalDir) {
      mkdirSync(dirname(this.opts.journal), { recursive: true, mode: 0o700 });
      this.journalDir = true;
    }
    appendFileSync(this.opts.journal, JSON.stringify(line) + '\n', { mode: 0o600 });
  }

  private replay(file: string): void {
    if (!existsSync(file)) return;
    const byId = new Map<number, SandboxRepo>();
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (!text) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(text) as JournalLine;
      } catch {
        continue; // a line cut short by a crash
      }
      if ('repo' in line) {
        const r = line.repo;
        const repo: SandboxRepo = {
          ...r,
          issues: byId.get(r.id)?.issues ?? [],
          labels: new Set(r.labels),
          files: new Map(r.files),
        };
        byId.set(r.id, repo);
        this.repos.set(`${r.owner}/${r.name}`.toLowerCase(), repo);
      } else if ('issue' in line) {
        const { repo: repoId, ...issue } = line.issue;
        const repo = byId.get(repoId);
        if (repo) repo.issues[issue.number - 1] = issue;
        for (const c of issue.comments) this.commentSeq = Math.max(this.commentSeq, c.id);
      } else if ('deleted' in line) {
        const repo = byId.get(line.deleted);
        if (repo) this.repos.delete(`${repo.owner}/${repo.name}`.toLowerCase());
      }
      const id = 'repo' in line ? line.repo.id : 'issue' in line ? line.issue.id : line.deleted;
      this.idSeq = Math.max(this.idSeq, id + 1);
    }
  }

  repo(full: string): SandboxRepo | undefined {
    return this.repos.get(full.toLowerCase());
  }

  private withRepo(
    req: HttpRequest,
    auth: TokenInfo | undefined,
    fn: (repo: SandboxRepo, body: Record<string, unknown>) => ReturnType<typeof json>,
  ): ReturnType<typeof json> {
    if (!auth) return unauthorized();
    const repo = this.repo(`${req.params.owner}/${req.params.repo}`);
    if (!repo) return json(404, { message: 'Not Found' });
    let body: Record<string, unknown> = {};
    if (req.body) {
      try {
        body = JSON.parse(req.body) as Record<string, unknown>;
      } catch {
        return json(400, { message: 'Problems parsing JSON' });
      }
    }
    return fn(repo, body);
  }

  private withIssue(
    req: HttpRequest,
    auth: TokenInfo | undefined,
    fn: (repo: SandboxRepo, issue: SandboxIssue, body: Record<string, unknown>) => ReturnType<typeof json>,
  ): ReturnType<typeof json> {
    return this.withRepo(req, auth, (repo, body) => {
      const issue = repo.issues[Number(req.params.number) - 1];
      return issue ? fn(repo, issue, body) : json(404, { message: 'Not Found' });
    });
  }

  private repoJson(r: SandboxRepo): Record<string, unknown> {
    return {
      id: r.id,
      node_id: r.node_id,
      name: r.name,
      full_name: `${r.owner}/${r.name}`,
      owner: { login: r.owner },
      private: r.private,
      visibility: r.private ? 'private' : 'public',
      html_url: `${this.ghes.url}/${r.owner}/${r.name}`,
    };
  }

  private issueJson(r: SandboxRepo, i: SandboxIssue): Record<string, unknown> {
    return {
      id: i.id,
      node_id: i.node_id,
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      user: { login: i.user },
      labels: i.labels.map((name) => ({ name })),
      assignees: i.assignees.map((login) => ({ login })),
      comments: i.comments.length,
      created_at: i.created_at,
      closed_at: i.closed_at ?? null,
      html_url: `${this.ghes.url}/${r.owner}/${r.name}/issues/${i.number}`,
    };
  }

  private commentJson(
    r: SandboxRepo,
    i: SandboxIssue,
    c: SandboxIssue['comments'][number],
  ): Record<string, unknown> {
    return {
      id: c.id,
      body: c.body,
      user: { login: c.user },
      created_at: c.created_at,
      html_url: `${this.ghes.url}/${r.owner}/${r.name}/issues/${i.number}#issuecomment-${c.id}`,
    };
  }
}
