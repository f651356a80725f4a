import { randomBytes } from 'node:crypto';
import { LocalHttpServer, type HttpRequest, type HttpResponse } from '../../http-server.js';
import type { Sandbox } from '../sandbox.js';
import { SANDBOX_PRIMARY } from '../appliance-names.js';

/** The sandbox GHES's port on `npm start` (the GitHub App's and the service desk's). */
export const SANDBOX_GHES_PORT = 8788;

/**
 * The sandbox GHES web and REST API (`/api/v3`), on loopback. It shares the instance data of the
 * sandbox appliance (version, users, organizations and owners), so `ghe-org-admin-promote` on the
 * appliance and the API agree. Features add their endpoints with `route` in files of their own
 * (local/sandbox/ghes/*.ts); this file holds the server, authentication and the REST root.
 */
export interface TokenInfo {
  login: string;
  /** Classic PAT scopes, reported in `X-OAuth-Scopes`. */
  scopes: string[];
  /** Installation tokens (GitHub App) have no scopes; their permissions live with the app. */
  kind: 'pat' | 'installation' | 'app';
  installationId?: number;
  /** App JWTs and installation tokens: the app. */
  appId?: number;
  expiresAt?: string;
}

export type Handler = (req: HttpRequest, auth: TokenInfo | undefined) => Promise<HttpResponse> | HttpResponse;

export class SandboxGhes {
  private readonly http = new LocalHttpServer();
  private readonly tokens = new Map<string, TokenInfo>();
  private readonly verifiers: ((token: string) => TokenInfo | undefined)[] = [];
  private base: string | undefined;

  /**
   * Token expiry is real time, as GitHub's is (the clock the tokens are minted on, not the
   * sandbox's faster workflow clock).
   */
  private readonly now: () => number;

  constructor(
    readonly sandbox: Sandbox,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.route('GET', '/api/v3', (_req, auth) =>
      auth
        ? json(200, rootDocument(this.apiUrl), { 'x-oauth-scopes': auth.scopes.join(', ') })
        : json(200, rootDocument(this.apiUrl)),
    );
    this.route('GET', '/api/v3/meta', () =>
      json(200, { verifiable_password_authentication: true, installed_version: this.version() }),
    );
    this.route('GET', '/api/v3/user', (_req, auth) => {
      if (!auth || auth.kind !== 'pat') return unauthorized();
      return json(200, { login: auth.login, type: 'User', site_admin: this.isSiteAdmin(auth.login) });
    });
  }

  /** The installed GHES version (the primary appliance's; upgrades in the sandbox change it). */
  version(): string {
    return this.sandbox.appliance(SANDBOX_PRIMARY).version;
  }

  isSiteAdmin(login: string): boolean {
    return this.sandbox.users().find((u) => u.login === login)?.siteAdmin === true;
  }

  /** Adds an endpoint; `auth` is the token's owner when the request carried a valid token. */
  route(method: string, path: string, handler: Handler): this {
    this.http.route(method, path, (req) => {
      const auth = this.authenticate(req);
      const header = req.headers.authorization;
      if (header && !auth) return unauthorized();
      return handler(req, auth);
    });
    return this;
  }

  /** A classic personal access token for `login` with the given scopes. */
  issueToken(login: string, scopes: string[]): string {
    const token = `ghp_${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, { login, scopes: [...scopes], kind: 'pat' });
    return token;
  }

  /** Registers a token issued by a feature (e.g. an app installation token). */
  addToken(token: string, info: TokenInfo): void {
    this.tokens.set(token, info);
  }

  /** Accepts tokens that are checked rather than stored (e.g. GitHub App JWTs, local/sandbox/ghes/apps.ts). */
  addTokenVerifier(verify: (token: string) => TokenInfo | undefined): void {
    this.verifiers.push(verify);
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  authenticate(req: HttpRequest): TokenInfo | undefined {
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const token = m?.[1];
    const info = token ? (this.tokens.get(token) ?? this.verify(token)) : undefined;
    if (info?.expiresAt && Date.parse(info.expiresAt) < this.now()) return undefined;
    return info;
  }

  private verify(token: string): TokenInfo | undefined {
    for (const v of this.verifiers) {
      const info = v(token);
      if (info) return info;
    }
    return undefined;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string; apiUrl: string }> {
    const { url } = await this.http.listen(port, host);
    this.base = url;
    return { url, apiUrl: this.apiUrl };
  }

  get url(): string {
    if (!this.base) throw new Error('the sandbox GHES server is not started');
    return this.base;
  }

  get apiUrl(): string {
    return `${this.url}/api/v3`;
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    body: body as object,
    headers: { 'x-github-media-type': 'github.v3; format=json', ...headers },
  };
}

export function unauthorized(): HttpResponse {
  return json(401, {
    message: 'Bad credentials',
    documentation_url: 'https://docs.github.com/enterprise-server@3.17/rest',
  });
}

function rootDocument(api: string): Record<string, string> {
  return {
    current_user_url: `${api}/user`,
    organization_url: `${api}/orgs/{org}`,
    repository_url: `${api}/repos/{owner}/{repo}`,
    user_url: `${api}/users/{user}`,
  };
}
