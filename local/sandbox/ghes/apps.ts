import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { HttpRequest, HttpResponse } from '../../http-server.js';
import { json, unauthorized, type SandboxGhes, type TokenInfo } from './ghes-server.js';

/**
 * GitHub Apps on the sandbox GHES (issue 6): the manifest flow's pages and conversion endpoint,
 * app JWT authentication, installations and installation tokens, and webhooks signed with the
 * app's secret. Times here are real time (`now`), like GitHub's one-hour limits.
 *
 * - `GET|POST /settings/apps/new`, `/organizations/:org/settings/apps/new`: the page with the
 *   manifest's name and a "Create GitHub App" button; creating redirects to `redirect_url?code&state`;
 * - `POST /api/v3/app-manifests/:code/conversions`: one-time, codes expire after an hour;
 * - `GET /api/v3/app`, `GET /api/v3/app/installations[/:id]`, `POST /api/v3/app/installations/:id/access_tokens`
 *   (app JWT, RS256, at most 10 minutes);
 * - `GET /github-apps/:slug` and `/github-apps/:slug/installations/new` (install button).
 */
const CODE_TTL_MS = 60 * 60 * 1000;
const TOKEN_TTL_MS = 60 * 60 * 1000;

export interface SandboxApp {
  id: number;
  slug: string;
  name: string;
  owner: { login: string; type: 'Organization' | 'User' };
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  pem: string;
  publicKey: KeyObject;
  permissions: Record<string, string>;
  events: string[];
  hookUrl?: string;
  redirectUrl?: string;
  url: string;
  createdAt: string;
}

export interface SandboxInstallation {
  id: number;
  appId: number;
  account: { login: string; type: 'Organization' | 'User' };
  permissions: Record<string, string>;
  events: string[];
}

export interface DeliveredWebhook {
  id: string;
  event: string;
  status: number;
  body: string;
}

interface Manifest {
  name?: string;
  url?: string;
  hook_attributes?: { url?: string; active?: boolean };
  redirect_url?: string;
  public?: boolean;
  default_permissions?: Record<string, string>;
  default_events?: string[];
}

const html = (status: number, title: string, inner: string): HttpResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · GitHub Enterprise (sandbox)</title></head>
<body style="font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto"><h1>${esc(title)}</h1>${inner}</body></html>\n`,
});
const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const b64json = (part: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

export class SandboxApps {
  readonly apps = new Map<number, SandboxApp>();
  readonly installations = new Map<number, SandboxInstallation>();
  /** Every webhook delivery the sandbox made, in order. */
  readonly deliveries: DeliveredWebhook[] = [];
  private readonly codes = new Map<string, { appId: number; expiresAt: number }>();
  private nextApp = 1;
  private nextInstallation = 1;
  private readonly now: () => number;

  private readonly journal: string | undefined;

  /** With `journal`, registered apps and installations survive a restart (one JSON line per change). */
  constructor(
    private readonly ghes: SandboxGhes,
    opts: { now?: () => number; journal?: string } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.journal = opts.journal;
    if (this.journal) this.replay(this.journal);
    ghes.addTokenVerifier((token) => this.verifyJwt(token));
    const newPage = (req: HttpRequest): HttpResponse => this.newAppPage(req);
    for (const method of ['GET', 'POST']) {
      ghes.route(method, '/settings/apps/new', newPage);
      ghes.route(method, '/organizations/:org/settings/apps/new', newPage);
    }
    ghes.route('POST', '/settings/apps/manifest/create', (req) => this.create(req));
    ghes.route('POST', '/api/v3/app-manifests/:code/conversions', (req) =>
      this.convert(req.params.code ?? ''),
    );
    ghes.route('GET', '/api/v3/app', (_req, auth) => {
      const app = this.appOf(auth);
      return app ? json(200, this.publicApp(app)) : unauthorizedJwt();
    });
    ghes.route('GET', '/api/v3/app/installations', (_req, auth) => {
      const app = this.appOf(auth);
      if (!app) return unauthorizedJwt();
      return json(
        200,
        [...this.installations.values()]
          .filter((i) => i.appId === app.id)
          .map((i) => this.publicInstallation(i)),
      );
    });
    ghes.route('GET', '/api/v3/app/installations/:id', (req, auth) => {
      const app = this.appOf(auth);
      if (!app) return unauthorizedJwt();
      const inst = this.installations.get(Number(req.params.id));
      return inst && inst.appId === app.id ? json(200, this.publicInstallation(inst)) : notFound();
    });
    ghes.route('POST', '/api/v3/app/installations/:id/access_tokens', (req, auth) => {
      const app = this.appOf(auth);
      if (!app) return unauthorizedJwt();
      const inst = this.installations.get(Number(req.params.id));
      if (!inst || inst.appId !== app.id) return notFound();
      const token = `ghs_${randomBytes(27).toString('base64url')}`;
      const expiresAt = new Date(this.now() + TOKEN_TTL_MS).toISOString();
      this.ghes.addToken(token, {
        login: `${app.slug}[bot]`,
        scopes: [],
        kind: 'installation',
        installationId: inst.id,
        appId: app.id,
        expiresAt,
      });
      return json(201, {
        token,
        expires_at: expiresAt,
        permissions: inst.permissions,
        repository_selection: 'all',
      });
    });
    ghes.route('GET', '/github-apps/:slug', (req) => {
      const app = this.bySlug(req.params.slug ?? '');
      return app
        ? html(
            200,
            app.name,
            `<p>GitHub App <code>${esc(app.slug)}</code> owned by ${esc(app.owner.login)}.</p><p><a href="/github-apps/${esc(app.slug)}/installations/new">Install</a></p>`,
          )
        : html(404, 'Not found', '');
    });
    ghes.route('GET', '/github-apps/:slug/installations/new', (req) => {
      const app = this.bySlug(req.params.slug ?? '');
      if (!app) return html(404, 'Not found', '');
      const perms = Object.entries(app.permissions)
        .map(([k, v]) => `<li>${esc(k)}: ${esc(v)}</li>`)
        .join('');
      return html(
        200,
        `Install ${app.name}`,
        `<p>Install on <strong>${esc(app.owner.login)}</strong> with these permissions:</p><ul>${perms}</ul>
<form method="post" action="/github-apps/${esc(app.slug)}/installations"><button id="install" type="submit">Install</button></form>`,
      );
    });
    ghes.route('POST', '/github-apps/:slug/installations', async (req) => {
      const app = this.bySlug(req.params.slug ?? '');
      if (!app) return html(404, 'Not found', '');
      const inst = await this.install(app.id);
      return html(
        200,
        `Installed ${app.name}`,
        `<p id="installed">Installation ${inst.id} on ${esc(inst.account.login)}.</p>`,
      );
    });
  }

  /** Installs an app on its owner's account and sends the signed `installation` webhook. */
  async install(appId: number, account?: string): Promise<SandboxInstallation> {
    const app = this.apps.get(appId);
    if (!app) throw new Error(`no sandbox app ${appId}`);
    const login = account ?? app.owner.login;
    const inst: SandboxInstallation = {
      id: this.nextInstallation++,
      appId,
      account: { login, type: this.ghes.sandbox.organizations().includes(login) ? 'Organization' : 'User' },
      permissions: { ...app.permissions },
      events: [...app.events],
    };
    this.installations.set(inst.id, inst);
    this.append({ installation: inst });
    await this.sendWebhook(appId, 'installation', {
      action: 'created',
      installation: this.publicInstallation(inst),
      sender: { login, type: 'User' },
    });
    return inst;
  }

  /** POSTs a webhook to the app's hook URL, signed with the app's secret as GHES does. */
  async sendWebhook(
    appId: number,
    event: string,
    payload: Record<string, unknown>,
  ): Promise<DeliveredWebhook | undefined> {
    const app = this.apps.get(appId);
    if (!app?.hookUrl) return undefined;
    const delivery = await postWebhook(app.hookUrl, app.webhookSecret, event, payload, {
      type: 'integration',
      id: app.id,
    });
    this.deliveries.push(delivery);
    return delivery;
  }

  private newAppPage(req: HttpRequest): HttpResponse {
    const org = req.params.org;
    if (org && !this.ghes.sandbox.organizations().includes(org))
      return html(404, 'Organization not found', '');
    const form = new URLSearchParams(req.method === 'POST' ? req.body : '');
    const raw = form.get('manifest');
    if (!raw)
      return html(
        200,
        'Register new GitHub App',
        '<p>Post a <code>manifest</code> form field to register an app from a manifest.</p>',
      );
    let manifest: Manifest;
    try {
      manifest = JSON.parse(raw) as Manifest;
    } catch {
      return html(422, 'Invalid manifest', '<p>The manifest is not valid JSON.</p>');
    }
    if (!manifest.url) return html(422, 'Invalid manifest', '<p>The manifest needs a <code>url</code>.</p>');
    const state = req.query.get('state') ?? '';
    const owner = org ?? 'ghe-admin'; // the signed-in user of the sandbox
    const perms = Object.entries(manifest.default_permissions ?? {})
      .map(([k, v]) => `<li>${esc(k)}: ${esc(v)}</li>`)
      .join('');
    return html(
      200,
      `Create GitHub App for ${owner}`,
      `<form method="post" action="/settings/apps/manifest/create">
<label>GitHub App name <input id="app-name" name="name" value="${esc(manifest.name ?? '')}"></label>
<p>Permissions:</p><ul>${perms}</ul><p>Events: ${esc((manifest.default_events ?? []).join(', '))}</p>
<input type="hidden" name="manifest" value="${esc(raw)}"><input type="hidden" name="state" value="${esc(state)}">
<input type="hidden" name="owner" value="${esc(owner)}"><input type="hidden" name="owner_type" value="${org ? 'Organization' : 'User'}">
<button id="create" type="submit">Create GitHub App for ${esc(owner)}</button></form>`,
    );
  }

  private create(req: HttpRequest): HttpResponse {
    const form = new URLSearchParams(req.body);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(form.get('manifest') ?? '') as Manifest;
    } catch {
      return html(422, 'Invalid manifest', '');
    }
    const name = (form.get('name') || manifest.name || '').trim();
    if (!name) return html(422, 'Name required', '<p>Give the app a name.</p>');
    const slug = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    if (this.bySlug(slug)) return html(422, 'Name already taken', `<p>An app named ${esc(name)} exists.</p>`);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const app: SandboxApp = {
      id: this.nextApp++,
      slug,
      name,
      owner: {
        login: form.get('owner') ?? 'ghe-admin',
        type: form.get('owner_type') === 'Organization' ? 'Organization' : 'User',
      },
      clientId: `Iv1.${randomBytes(8).toString('hex')}`,
      clientSecret: randomBytes(20).toString('hex'),
      webhookSecret: randomBytes(20).toString('hex'),
      pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      publicKey,
      permissions: { ...(manifest.default_permissions ?? {}) },
      events: [...(manifest.default_events ?? [])],
      ...(manifest.hook_attributes?.url && manifest.hook_attributes.active !== false
        ? { hookUrl: manifest.hook_attributes.url }
        : {}),
      ...(manifest.redirect_url ? { redirectUrl: manifest.redirect_url } : {}),
      url: manifest.url ?? '',
      createdAt: new Date(this.now()).toISOString(),
    };
    this.apps.set(app.id, app);
    const { publicKey: _key, ...stored } = app;
    this.append({ app: stored });
    const code = randomBytes(20).toString('hex');
    this.codes.set(code, { appId: app.id, expiresAt: this.now() + CODE_TTL_MS });
    if (!app.redirectUrl) return html(201, 'App created', `<p>Created ${esc(slug)}.</p>`);
    const to = new URL(app.redirectUrl);
    to.searchParams.set('code', code);
    const state = form.get('state');
    if (state) to.searchParams.set('state', state);
    return { status: 302, headers: { location: to.toString() }, body: '' };
  }

  private convert(code: string): HttpResponse {
    const entry = this.codes.get(code);
    if (!entry) return notFound();
    this.codes.delete(code);
    if (entry.expiresAt <= this.now())
      return json(422, {
        message: 'The code has expired',
        documentation_url:
          'https://docs.github.com/enterprise-server@3.17/rest/apps/apps#create-a-github-app-from-a-manifest',
      });
    const app = this.apps.get(entry.appId)!;
    return json(201, {
      ...this.publicApp(app),
      client_id: app.clientId,
      client_secret: app.clientSecret,
      webhook_secret: app.webhookSecret,
      pem: app.pem,
    });
  }

  private append(line: { app: Omit<SandboxApp, 'publicKey'> } | { installation: SandboxInstallation }): void {
    if (!this.journal) return;
    mkdirSync(dirname(this.journal), { recursive: true, mode: 0o700 });
    appendFileSync(this.journal, JSON.stringify(line) + '\n', { mode: 0o600 });
  }

  private replay(file: string): void {
    if (!existsSync(file)) return;
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (!text) continue;
      try {
        const line = JSON.parse(text) as {
          app?: Omit<SandboxApp, 'publicKey'>;
          installation?: SandboxInstallation;
        };
        if (line.app) {
          this.apps.set(line.app.id, { ...line.app, publicKey: createPublicKey(line.app.pem) });
          this.nextApp = Math.max(this.nextApp, line.app.id + 1);
        }
        if (line.installation) {
          this.installations.set(line.installation.id, line.installation);
          this.nextInstallation = Math.max(this.nextInstallation, line.installation.id + 1);
        }
      } catch {
        continue; // a line cut short by a crash
      }
    }
  }

  private publicApp(app: SandboxApp): Record<string, unknown> {
    return {
      id: app.id,
      slug: app.slug,
      node_id: Buffer.from(`App${app.id}`).toString('base64'),
      owner: { login: app.owner.login, type: app.owner.type },
      name: app.name,
      client_id: app.clientId,
      description: '',
      external_url: app.url,
      html_url: `${this.ghes.url}/github-apps/${app.slug}`,
      created_at: app.createdAt,
      updated_at: app.createdAt,
      permissions: app.permissions,
      events: app.events,
      installations_count: [...this.installations.values()].filter((i) => i.appId === app.id).length,
    };
  }

  private publicInstallation(inst: SandboxInstallation): Record<string, unknown> {
    const api = this.ghes.apiUrl;
    return {
      id: inst.id,
      app_id: inst.appId,
      app_slug: this.apps.get(inst.appId)?.slug,
      account: { login: inst.account.login, type: inst.account.type },
      target_type: inst.account.type,
      repository_selection: 'all',
      access_tokens_url: `${api}/app/installations/${inst.id}/access_tokens`,
      permissions: inst.permissions,
      events: inst.events,
    };
  }

  private bySlug(slug: string): SandboxApp | undefined {
    return [...this.apps.values()].find((a) => a.slug === slug);
  }

  private appOf(auth: TokenInfo | undefined): SandboxApp | undefined {
    return auth?.kind === 'app' && auth.appId !== undefined ? this.apps.get(auth.appId) : undefined;
  }

  /** An app JWT: RS256 signed with the app's key, `iss` the app id, lifetime at most 10 minutes. */
  private verifyJwt(token: string): TokenInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [h, p, s] = parts as [string, string, string];
    const header = b64json(h);
    const claims = b64json(p);
    if (header?.alg !== 'RS256' || !claims) return undefined;
    const app = this.apps.get(Number(claims.iss));
    if (!app) return undefined;
    const ok = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), app.publicKey, Buffer.from(s, 'base64url'));
    const now = Math.floor(this.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!ok || !(exp > now) || !(iat <= now + 60) || exp - iat > 660) return undefined;
    return { login: app.slug, scopes: [], kind: 'app', appId: app.id };
  }
}

/**
 * POSTs one webhook as GHES does: JSON body, `X-GitHub-Event`, a new `X-GitHub-Delivery`, the hook's
 * target, and `X-Hub-Signature-256` with the hook's secret. Resolves with the receiver's answer.
 */
export async function postWebhook(
  url: string,
  secret: string,
  event: string,
  payload: Record<string, unknown>,
  target: { type: 'integration' | 'repository'; id: number },
): Promise<DeliveredWebhook> {
  const body = JSON.stringify(payload);
  const id = randomUUID();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/sandbox',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-github-hook-installation-target-type': target.type,
      'x-github-hook-installation-target-id': String(target.id),
      'x-hub-signature-256': signWebhook(secret, body),
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { id, event, status: res.status, body: await res.text() };
}

export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const notFound = (): HttpResponse =>
  json(404, {
    message: 'Not Found',
    documentation_url: 'https://docs.github.com/enterprise-server@3.17/rest',
  });

function unauthorizedJwt(): HttpResponse {
  const r = unauthorized();
  return {
    ...r,
    body: {
      message: 'A JSON web token could not be decoded',
      documentation_url: 'https://docs.github.com/enterprise-server@3.17/rest',
    },
  };
}
