import { APP_ROUTES, type AppFeature, type GithubAppConfig } from './config.js';

/**
 * What each feature needs from the GitHub App: the permissions the manifest asks for and that
 * `ghes-ops app status` checks against an installation's grant.
 */
export type Access = 'read' | 'write' | 'admin';
export interface FeatureNeeds {
  permissions: Record<string, Access>;
  events: string[];
}

export const FEATURE_NEEDS: Record<AppFeature, FeatureNeeds> = {
  'service-desk': {
    permissions: { issues: 'write', metadata: 'read' },
    events: ['issues', 'issue_comment'],
  },
  'actions-sync': {
    permissions: { administration: 'write', contents: 'write', workflows: 'write', metadata: 'read' },
    events: [],
  },
};

const RANK: Record<Access, number> = { read: 1, write: 2, admin: 3 };

/** The union of the features' needs, the higher access winning. */
export function requiredPermissions(features: readonly AppFeature[]): FeatureNeeds {
  const permissions: Record<string, Access> = {};
  const events = new Set<string>();
  for (const f of features) {
    for (const [k, v] of Object.entries(FEATURE_NEEDS[f].permissions))
      if (!permissions[k] || RANK[v] > RANK[permissions[k]]) permissions[k] = v;
    for (const e of FEATURE_NEEDS[f].events) events.add(e);
  }
  return { permissions, events: [...events].sort() };
}

/** Whether `granted` gives at least `needed`. */
export const grants = (granted: string | undefined, needed: Access): boolean =>
  granted !== undefined && (RANK[granted as Access] ?? 0) >= RANK[needed];

export interface AppManifest {
  name: string;
  url: string;
  description: string;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  public: false;
  default_permissions: Record<string, Access>;
  default_events: string[];
}

/** The manifest posted to GHES, generated from the configuration. */
export function buildManifest(cfg: GithubAppConfig): AppManifest {
  const needs = requiredPermissions(cfg.features);
  return {
    name: cfg.name,
    url: cfg.publicUrl,
    description: `ghes-ops workflows (${cfg.features.join(', ') || 'no features'})`,
    hook_attributes: { url: `${cfg.publicUrl}${APP_ROUTES.webhook}`, active: true },
    redirect_url: `${cfg.publicUrl}${APP_ROUTES.redirect}`,
    public: false,
    default_permissions: needs.permissions,
    default_events: needs.events,
  };
}

/** Where the manifest is posted: an organization's or the personal new-app page. */
export function newAppUrl(cfg: GithubAppConfig, org: string | undefined): string {
  return org
    ? `${cfg.ghesUrl}/organizations/${encodeURIComponent(org)}/settings/apps/new`
    : `${cfg.ghesUrl}/settings/apps/new`;
}
