import type { App } from '@octokit/app';
import type { Octokit } from '@octokit/core';
import { ConfigError } from '../errors.js';
import type { Config } from '../config.js';
import type { ParameterStore } from '../params/parameter-store.js';
import { apiBase, requireGithubApp, type GithubAppConfig } from './config.js';
import { readCredentials, type AppCredentials } from './credentials.js';

/**
 * The one place that builds `@octokit/app` for GHES. Everything that acts on GHES as the app
 * (service desk, actions-sync, webhooks) goes through these three functions:
 *
 * - `githubApp(deps)`: the App for `<ghesUrl>/api/v3`, built from the credentials in the parameter
 *   store and cached for the life of the process (a Lambda container: across invocations) for
 *   `CACHE_MS`, so a re-registered or imported app is picked up without a redeploy;
 * - `installationClient(deps, installationId)`: an Octokit authenticated as one installation
 *   (installation tokens are created and refreshed by @octokit/auth-app);
 * - `forgetGithubApp()`: drops the cache (after storing new credentials, and in tests).
 *
 * Credentials never leave this module except inside the App object.
 */
const CACHE_MS = 10 * 60 * 1000;

/**
 * @octokit/app and @octokit/core, loaded when an app client is first built (not when a function
 * is loaded: most invocations of a function that may act as the app never do).
 */
let octokitApp: Promise<{ App: typeof App; Octokit: typeof Octokit }> | undefined;
const loadOctokitApp = (): Promise<{ App: typeof App; Octokit: typeof Octokit }> =>
  (octokitApp ??= Promise.all([import('@octokit/app'), import('@octokit/core')]).then(([a, c]) => ({
    App: a.App,
    Octokit: c.Octokit,
  })));

export type GhesApp = App<{ Octokit: typeof Octokit }>;
export type InstallationClient = Octokit;

interface AppDeps {
  config: Pick<Config, 'parameterPrefix'> & { githubApp?: GithubAppConfig };
  params: ParameterStore;
}

interface Entry {
  key: string;
  at: number;
  /** The stored credentials (rejects with a ConfigError when no app is registered). */
  creds: Promise<AppCredentials>;
  /** The App, built from `creds` when first asked for (the webhook endpoint never needs it). */
  app?: Promise<{ app: GhesApp; appId: number; slug: string }>;
}
let cached: Entry | undefined;

/** The registered app's credentials, cached like the App itself (`CACHE_MS`, `forgetGithubApp`). */
function registeredApp(deps: AppDeps, now: number): Entry {
  const cfg = requireGithubApp(deps.config);
  const key = `${apiBase(cfg)}|${deps.config.parameterPrefix}`;
  if (cached && cached.key === key && now - cached.at < CACHE_MS) return cached;
  const entry: Entry = {
    key,
    at: now,
    creds: readCredentials(deps.params, deps.config.parameterPrefix).then((creds) => {
      if (!creds)
        throw new ConfigError(
          `No GitHub App is registered for ${cfg.ghesUrl}: open the setup page (ghes-ops app setup) or run ghes-ops app import.`,
        );
      return creds;
    }),
  };
  cached = entry;
  entry.creds.catch(() => {
    if (cached === entry) cached = undefined; // never cache a failure
  });
  return entry;
}

/**
 * The registered app's webhook secret (a ConfigError when no app is registered), without building
 * the App: the webhook endpoint verifies deliveries with it and never loads @octokit/app.
 */
export async function githubAppWebhookSecret(deps: AppDeps, now = Date.now()): Promise<string> {
  return (await registeredApp(deps, now).creds).webhookSecret;
}

/** Builds an App from credentials (no cache): for the import command's check and tests. */
export async function buildApp(
  cfg: Pick<GithubAppConfig, 'ghesUrl'>,
  creds: Pick<AppCredentials, 'appId' | 'privateKey' | 'webhookSecret'>,
): Promise<GhesApp> {
  const { App, Octokit } = await loadOctokitApp();
  return new App({
    appId: creds.appId,
    privateKey: creds.privateKey,
    webhooks: { secret: creds.webhookSecret },
    // Octokit for GHES's REST base: the Octokit class every app client is made from.
    Octokit: Octokit.defaults({ baseUrl: apiBase(cfg), userAgent: 'ghes-ops' }),
    // @octokit/app logs through console by default; keep it quiet (our logger is structured).
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

/** The registered app, or a ConfigError saying how to register one. */
export async function githubApp(
  deps: AppDeps,
  now = Date.now(),
): Promise<{ app: GhesApp; appId: number; slug: string }> {
  const cfg = requireGithubApp(deps.config);
  const entry = registeredApp(deps, now);
  if (!entry.app) {
    const app = entry.creds.then((creds) =>
      buildApp(cfg, creds).then((built) => ({ app: built, appId: creds.appId, slug: creds.slug })),
    );
    entry.app = app;
    app.catch(() => {
      if (cached === entry) cached = undefined; // never cache a failure
    });
  }
  return entry.app;
}

/** An Octokit acting as the given installation of the app. */
export async function installationClient(deps: AppDeps, installationId: number): Promise<InstallationClient> {
  const { app } = await githubApp(deps);
  return app.getInstallationOctokit(installationId);
}

export function forgetGithubApp(): void {
  cached = undefined;
}

export interface InstallationToken {
  token: string;
  expiresAt: string;
}

/**
 * A fresh installation access token (for tools that take a token, such as actions-sync with
 * `--github-app-auth`). Without an id, the app must have exactly one installation.
 */
export async function createInstallationToken(
  deps: AppDeps,
  installationId?: number,
): Promise<InstallationToken> {
  const { app, slug } = await githubApp(deps);
  let id = installationId;
  if (id === undefined) {
    const { data } = await app.octokit.request('GET /app/installations');
    const ids = (data as { id: number }[]).map((i) => i.id);
    if (ids.length !== 1) {
      throw new ConfigError(
        ids.length === 0
          ? `The GitHub App ${slug} is not installed anywhere: install it on the destination organization, then run again.`
          : `The GitHub App ${slug} has ${ids.length} installations (${ids.join(', ')}): set auth.installationId to the one to use.`,
      );
    }
    id = ids[0];
  }
  const { data } = await app.octokit.request('POST /app/installations/{installation_id}/access_tokens', {
    installation_id: id as number,
  });
  const token = data as { token: string; expires_at: string };
  return { token: token.token, expiresAt: token.expires_at };
}

/**
 * A token function for REST clients acting as the app's installation (e.g. the service desk's
 * tickets): mints a token on first use and again five minutes before it expires.
 */
export function installationTokenProvider(
  deps: AppDeps,
  installationId?: number,
  now: () => number = Date.now,
): () => Promise<string> {
  let current: Promise<InstallationToken> | undefined;
  return async () => {
    const held = current ? await current.catch(() => undefined) : undefined;
    if (held && Date.parse(held.expiresAt) - now() >= 5 * 60_000) return held.token;
    const next = createInstallationToken(deps, installationId);
    current = next;
    return (await next).token;
  };
}

/** True when app credentials are stored (the app was registered or imported). */
export async function githubAppRegistered(deps: AppDeps): Promise<boolean> {
  return (
    deps.config.githubApp !== undefined &&
    (await readCredentials(deps.params, deps.config.parameterPrefix)) !== undefined
  );
}
