import type { Deps } from '../runtime/deps.js';
import { apiBase, APP_ROUTES, requireGithubApp } from './config.js';
import { storeCredentials, type AppCredentials } from './credentials.js';
import { forgetGithubApp } from './app-client.js';
import { buildManifest, newAppUrl } from './manifest.js';
import { escapeHtml, page, redirect, type Page } from './pages.js';
import { consumeState, createState } from './setup-state.js';

/**
 * The manifest flow (GitHub's "register a GitHub App from a manifest"), steps 1 and 3:
 * `setupPage` posts the generated manifest with a fresh one-time `state` to GHES; `manifestRedirect`
 * checks the state, exchanges the code for the app's credentials, stores them in the parameter
 * store only, and sends the browser on to the installation page. Pages never carry a secret.
 */
type FlowDeps = Pick<Deps, 'config' | 'params' | 'records' | 'log' | 'wallClock'>;
export interface FlowOptions {
  fetch?: typeof fetch;
}

const ORG_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

export async function setupPage(query: URLSearchParams, deps: FlowDeps): Promise<Page> {
  const cfg = requireGithubApp(deps.config);
  const account = query.get('account');
  const orgParam = query.get('org');
  if (orgParam !== null && !ORG_RE.test(orgParam))
    return page(
      400,
      'Invalid organization',
      '<p>The <code>org</code> parameter must be an organization login.</p>',
    );
  const org = account === 'personal' ? undefined : (orgParam ?? cfg.org);
  // Real time: the one-hour limits are GitHub's, not the workflow clock's.
  const now = deps.wallClock.now();
  const { state, expiresAt } = await createState(deps.records, deps.config.parameterPrefix, now, org);
  const manifest = buildManifest(cfg);
  const action = `${newAppUrl(cfg, org)}?state=${encodeURIComponent(state)}`;
  deps.log.info('GitHub App setup page served', { owner: org ?? '(personal account)', ghes: cfg.ghesUrl });
  const perms = Object.entries(manifest.default_permissions)
    .map(([k, v]) => `<li><code>${escapeHtml(k)}</code>: ${escapeHtml(v)}</li>`)
    .join('');
  return page(
    200,
    'Register the ghes-ops GitHub App',
    `<p>This registers the app <strong>${escapeHtml(manifest.name)}</strong> on
<a href="${escapeHtml(cfg.ghesUrl)}">${escapeHtml(cfg.ghesUrl)}</a> for
${org ? `the organization <strong>${escapeHtml(org)}</strong>` : 'your personal account'}
(features: ${escapeHtml(cfg.features.join(', ') || 'none')}). The link is good for one hour, once.</p>
<p>Permissions:</p><ul>${perms}</ul>
<p>Events: ${escapeHtml(manifest.default_events.join(', ') || 'none')}</p>
<form id="register" action="${escapeHtml(action)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button type="submit">Register on GHES</button>
</form>
<p><small>Expires ${escapeHtml(new Date(expiresAt).toISOString())}.
Other owner: <a href="?account=personal">personal account</a> or <code>?org=ORG</code>.</small></p>`,
  );
}

function restartHint(publicUrl: string): string {
  const url = `${publicUrl}${APP_ROUTES.setup}`;
  return `<p>Start again from <a href="${escapeHtml(url)}">${escapeHtml(url)}</a>
(or <code>npx ghes-ops app setup</code> prints it): GitHub requires the three steps within one hour.</p>`;
}

interface Conversion {
  id: number;
  slug: string;
  name?: string;
  html_url: string;
  client_id: string;
  client_secret: string;
  webhook_secret: string | null;
  pem: string;
  owner?: { login?: string };
}

export async function manifestRedirect(
  query: URLSearchParams,
  deps: FlowDeps,
  opts: FlowOptions = {},
): Promise<Page> {
  const cfg = requireGithubApp(deps.config);
  const code = query.get('code') ?? '';
  const state = query.get('state') ?? '';
  // Real time: the one-hour limits are GitHub's, not the workflow clock's.
  const now = deps.wallClock.now();
  const checked = await consumeState(deps.records, deps.config.parameterPrefix, state, now);
  if (!checked.ok) {
    deps.log.warn('GitHub App redirect refused', { reason: `${checked.reason} state` });
    return checked.reason === 'expired'
      ? page(
          400,
          'This registration link has expired',
          `<p>More than an hour passed since the setup page was opened. Nothing was stored.</p>${restartHint(cfg.publicUrl)}`,
        )
      : page(
          400,
          'Unknown or already used registration',
          `<p>The <code>state</code> of this request is unknown or was already used, so the code was not exchanged and nothing was stored.</p>${restartHint(cfg.publicUrl)}`,
        );
  }
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(code))
    return page(
      400,
      'Missing code',
      `<p>GHES did not send a valid <code>code</code>. Nothing was stored.</p>${restartHint(cfg.publicUrl)}`,
    );

  const res = await (opts.fetch ?? fetch)(`${apiBase(cfg)}/app-manifests/${code}/conversions`, {
    method: 'POST',
    headers: { accept: 'application/vnd.github+json', 'user-agent': 'ghes-ops' },
    signal: AbortSignal.timeout(15_000),
  });
  if (res.status === 404 || res.status === 422 || res.status === 410) {
    await res.body?.cancel();
    deps.log.warn('GitHub App code refused by GHES (expired or used)', { status: res.status });
    return page(
      410,
      'The registration code has expired',
      `<p>GHES no longer accepts this code: codes are good for one hour and once. The app may have been created on GHES without its credentials reaching ghes-ops; delete it there (Settings, Developer settings, GitHub Apps) or import it with <code>ghes-ops app import</code>.</p>${restartHint(cfg.publicUrl)}`,
    );
  }
  if (res.status !== 201 && res.status !== 200) {
    await res.body?.cancel();
    deps.log.error('GitHub App code exchange failed', { status: res.status });
    return page(
      502,
      'GHES refused the registration',
      `<p>GHES answered ${res.status} to the code exchange. Nothing was stored.</p>${restartHint(cfg.publicUrl)}`,
    );
  }
  const app = (await res.json()) as Conversion;
  if (!app.id || !app.pem || !app.slug) {
    deps.log.error('GitHub App code exchange returned no credentials', { status: res.status });
    return page(502, 'GHES sent no credentials', '<p>Nothing was stored.</p>');
  }
  const creds: AppCredentials = {
    appId: app.id,
    slug: app.slug,
    clientId: app.client_id,
    clientSecret: app.client_secret,
    // GitHub may send null when the manifest has no webhook: then webhooks cannot be verified.
    webhookSecret: app.webhook_secret ?? '',
    privateKey: app.pem,
  };
  const stored = await storeCredentials(deps.params, deps.config.parameterPrefix, creds);
  forgetGithubApp();
  deps.log.info('GitHub App registered', {
    appId: app.id,
    slug: app.slug,
    owner: app.owner?.login,
    parameters: stored,
  });
  return redirect(`${app.html_url}/installations/new`);
}
