import { ConfigError } from '../errors.js';

/**
 * Settings of the GitHub App that ghes-ops registers on GHES (issue 6). In AWS they come from
 * environment variables set by serverless.yml; locally from the `githubApp` object of the config
 * file (the sandbox GHES by default).
 */
export type AppFeature = 'service-desk' | 'actions-sync';
export const APP_FEATURES: readonly AppFeature[] = ['service-desk', 'actions-sync'];

export interface GithubAppConfig {
  /** The GHES web URL, e.g. `https://github.example.com` (REST is `<ghesUrl>/api/v3`). */
  ghesUrl: string;
  /** Public base URL of this stack (the HTTP API): webhook and redirect URLs are built from it. */
  publicUrl: string;
  /** App name proposed in the manifest (editable on the GHES page). */
  name: string;
  /** Organization that owns the app; empty: the personal account of whoever registers it. */
  org?: string;
  /** Enabled features: they decide the permissions and events the manifest asks for. */
  features: AppFeature[];
}

const URL_RE = /^https?:\/\/[^\s/?#]+(?::\d+)?(?:\/[^\s?#]*)?$/;
const ORG_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/** Checks and normalizes a GitHub App configuration; `bad(field, problem)` throws. */
export function checkGithubAppConfig(
  raw: Partial<Record<keyof GithubAppConfig, unknown>>,
  bad: (field: string, problem: string) => never,
): GithubAppConfig {
  const url = (field: 'ghesUrl' | 'publicUrl'): string => {
    const v = raw[field];
    if (typeof v !== 'string' || !URL_RE.test(v))
      bad(field, 'must be a URL such as https://github.example.com');
    return v.replace(/\/+$/, '');
  };
  const name = raw.name ?? 'ghes-ops';
  if (typeof name !== 'string' || !/^[\w .-]{1,34}$/.test(name))
    bad('name', 'must be 1-34 letters, digits, spaces, dots, dashes or underscores');
  const org = raw.org === '' ? undefined : raw.org;
  if (org !== undefined && (typeof org !== 'string' || !ORG_RE.test(org)))
    bad('org', 'must be an organization login (empty for a personal account)');
  const features = raw.features ?? [...APP_FEATURES];
  if (!Array.isArray(features) || features.some((f) => !APP_FEATURES.includes(f as AppFeature)))
    bad('features', `must be a list of: ${APP_FEATURES.join(', ')}`);
  return {
    ghesUrl: url('ghesUrl'),
    publicUrl: url('publicUrl'),
    name: name,
    ...(org ? { org: org } : {}),
    features: [...new Set(features as AppFeature[])],
  };
}

/** From GHES_OPS_GHES_URL, GHES_OPS_PUBLIC_URL, GHES_OPS_APP_NAME, GHES_OPS_APP_ORG, GHES_OPS_APP_FEATURES. */
export function githubAppConfigFromEnv(env: Record<string, string | undefined>): GithubAppConfig {
  const bad = (field: string, problem: string): never => {
    throw new ConfigError(
      `GitHub App setting ${field} ${problem} (environment, set by serverless.yml params).`,
    );
  };
  return checkGithubAppConfig(
    {
      ghesUrl: env.GHES_OPS_GHES_URL?.trim(),
      publicUrl: env.GHES_OPS_PUBLIC_URL?.trim(),
      name: env.GHES_OPS_APP_NAME?.trim() || undefined,
      org: env.GHES_OPS_APP_ORG?.trim() ?? '',
      features: (env.GHES_OPS_APP_FEATURES ?? APP_FEATURES.join(','))
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    },
    bad,
  );
}

/** The app configuration of a deployment, or a ConfigError saying how to set it. */
export function requireGithubApp(config: { githubApp?: GithubAppConfig }): GithubAppConfig {
  if (!config.githubApp)
    throw new ConfigError(
      'The GitHub App is not configured: set githubApp.ghesUrl and githubApp.publicUrl (local config file) or the ghesUrl param (serverless.yml).',
    );
  return config.githubApp;
}

export const apiBase = (cfg: Pick<GithubAppConfig, 'ghesUrl'>): string => `${cfg.ghesUrl}/api/v3`;

/** Paths of the app's HTTP endpoints on this stack (HTTP API in AWS, `npm start` locally). */
export const APP_ROUTES = {
  setup: '/github-app/setup',
  redirect: '/github-app/redirect',
  webhook: '/github-app/webhooks',
} as const;
