import { ApplianceUnreachable } from '../errors.js';
import { compareRefs, snapshotRefs, type RefsSnapshot } from './refs.js';
import { actionsSyncVersion, binaryInfo, hostArch } from '../appliance/actions-sync.js';
import type { Deps } from '../runtime/deps.js';
import { destinationToken } from './credentials.js';
import {
  ActionsSyncNotInstalled,
  ActionsSyncWrongArchitecture,
  GhesApiError,
  NotOrganizationOwner,
  TokenScopeMissing,
} from './errors.js';
import type { ActionsSyncRequest } from './request.js';

/**
 * What operators otherwise learn from failures, checked before any action is synced: the token's
 * scopes (X-OAuth-Scopes of `GET /api/v3`), ownership of each destination organization, the host
 * architecture against the installed binary's build, and actions-sync's presence and version.
 */
export interface PreflightResult {
  login: string;
  scopes: string[] | null;
  organizations: string[];
  hostArch: string;
  binaryBuild: string;
  version: string;
  installedVersion?: string;
  /** Each destination's refs before the sync (refs.ts), to tell updated from unchanged after it. */
  refsBefore: RefsSnapshot;
}

const RELEASES = 'https://github.com/actions/actions-sync/releases';
/** `uname -m` -> the release asset's architecture. */
const ASSET_ARCH: Record<string, string> = {
  x86_64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  i686: '386',
  i386: '386',
};

/** The build named by `file -L` output: 386, amd64 or arm64 (undefined: not installed / unknown). */
export function binaryBuild(fileOutput: string): string | undefined {
  if (/cannot open|No such file/i.test(fileOutput)) return undefined;
  if (/Intel 80386/.test(fileOutput)) return '386';
  if (/x86-64/.test(fileOutput)) return 'amd64';
  if (/aarch64|ARM64/i.test(fileOutput)) return 'arm64';
  return 'unknown';
}

export async function preflight(
  request: ActionsSyncRequest,
  deps: Pick<Deps, 'config' | 'ghesApi' | 'log' | 'params' | 'runner'>,
): Promise<PreflightResult> {
  const token = await destinationToken(request, deps);
  const url = request.destinationUrl;

  // 1. Token and scopes.
  const root = await deps.ghesApi.get(url, '', token);
  if (root.status === 401)
    throw new GhesApiError(
      `GHES at ${url} refused the token in ${request.tokenParameter} (401 Bad credentials): it is wrong, expired or revoked. Store a valid token there.`,
      { status: 401 },
    );
  if (root.status !== 200)
    throw new GhesApiError(`GET ${url}/api/v3 answered HTTP ${root.status}; is this the GHES URL?`, {
      status: root.status,
    });
  let scopes: string[] | null = null;
  let login = '';
  if (request.auth.mode === 'pat') {
    scopes = (root.headers['x-oauth-scopes'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const need = ['repo', 'workflow', ...(request.actionsAdminUser ? ['site_admin'] : [])];
    const missing = need.filter((s) => !scopes!.includes(s));
    if (missing.length) {
      throw new TokenScopeMissing(
        `The token in ${request.tokenParameter} lacks the ${missing.map((m) => `"${m}"`).join(', ')} scope${missing.length > 1 ? 's' : ''} (it has: ${scopes.join(', ') || 'none'}). Without "workflow", actions-sync fails with "refusing to allow a Personal Access Token to create or update workflow ... without workflow scope"${request.actionsAdminUser ? '; impersonation (--actions-admin-user) needs "site_admin"' : ''}. Fix: edit the token at ${url}/settings/tokens to add ${missing.join(', ')} (or create a new one with ${need.join(', ')}) and store it in ${request.tokenParameter}.`,
        { missing, scopes },
      );
    }
    const user = await deps.ghesApi.get(url, '/user', token);
    const userLogin = (user.body as { login?: unknown } | undefined)?.login;
    login = typeof userLogin === 'string' ? userLogin : '';
    if (user.status !== 200 || !login)
      throw new GhesApiError(
        `GET ${url}/api/v3/user answered HTTP ${user.status}: cannot tell whose token it is.`,
      );
  }

  // 2. Ownership of each destination organization (the pushing user must be an owner).
  const pusher = request.actionsAdminUser ?? login;
  const organizations = [...new Set(request.actions.map((a) => a.destination.split('/')[0] as string))]
    .filter((o) => o.toLowerCase() !== pusher.toLowerCase())
    .sort();
  if (pusher) {
    const notOwner: string[] = [];
    for (const org of organizations) {
      const m = await deps.ghesApi.get(
        url,
        `/orgs/${encodeURIComponent(org)}/memberships/${encodeURIComponent(pusher)}`,
        token,
      );
      const body = m.body as { role?: string; state?: string } | undefined;
      if (!(m.status === 200 && body?.role === 'admin' && body.state === 'active')) notOwner.push(org);
    }
    if (notOwner.length) {
      throw new NotOrganizationOwner(
        `${pusher} is not an owner of the organization${notOwner.length > 1 ? 's' : ''} ${notOwner.join(', ')} on ${url} (even site administrators must be owners); actions-sync would fail with "403 You need admin access to the organization". Fix, on the primary appliance: ${notOwner.map((o) => `ghe-org-admin-promote -u ${pusher} -o ${o}`).join('; ')}`,
        { user: pusher, organizations: notOwner },
      );
    }
  }

  // 3. Host architecture against the installed binary's build.
  const arch = await deps.runner.run(request.target, hostArch(), { timeoutSeconds: 30 });
  const host = arch.stdout.trim();
  if (arch.exitCode !== 0 || !host)
    throw new ApplianceUnreachable(
      `uname -m failed on ${request.target} (exit ${arch.exitCode}): ${arch.stderr.trim()}`,
    );
  const want = ASSET_ARCH[host] ?? host;
  const asset = `gh_<release>_linux_${want}.tar.gz`;
  const file = await deps.runner.run(request.target, binaryInfo(request.binaryPath), { timeoutSeconds: 30 });
  const build = binaryBuild(file.stdout + file.stderr);
  if (!build || file.exitCode === 127) {
    throw new ActionsSyncNotInstalled(
      `actions-sync is not installed at ${request.binaryPath} on ${request.target}. Download the linux_${want} release asset (${asset}) from ${RELEASES}, unpack it to ${request.binaryPath}, and install the ghes-ops-actions-sync wrapper (docs/workflows/actions-sync.md).`,
      { binaryPath: request.binaryPath, hostArch: host },
    );
  }
  if (build !== 'unknown' && build !== want) {
    throw new ActionsSyncWrongArchitecture(
      `actions-sync at ${request.binaryPath} on ${request.target} is a linux_${build} build, but the host is ${host}. It fails with a misleading "error creating organization ...: POST .../api/v3/admin/organizations: 404 Not Found []". Fix: install the linux_${want} release asset (${asset}) from ${RELEASES} at ${request.binaryPath}.`,
      { hostArch: host, binaryBuild: build, asset: `linux_${want}` },
    );
  }

  // 4. Present and its version.
  // The binary checked above, by its path: the one the wrapper runs (--binary), not the PATH's.
  const v = await deps.runner.run(request.target, actionsSyncVersion(request.binaryPath), {
    timeoutSeconds: 30,
  });
  const version = /GHES Actions Sync (v\S+)/.exec(v.stdout)?.[1];
  if (v.exitCode !== 0 || !version) {
    throw new ActionsSyncNotInstalled(
      `"${request.binaryPath} version" failed on ${request.target} (exit ${v.exitCode}: ${(v.stderr || v.stdout).trim().slice(0, 200)}). Install the linux_${want} asset from ${RELEASES} at ${request.binaryPath} (executable), or set binaryPath to where it is.`,
      { exitCode: v.exitCode },
    );
  }

  const meta = await deps.ghesApi.get(url, '/meta');
  const installed = (meta.body as { installed_version?: unknown } | undefined)?.installed_version;
  deps.log.info('actions-sync preflight passed', { login: pusher, organizations, host, build, version });
  const refsBefore = await snapshotRefs(request.actions, url, token, deps);
  return {
    refsBefore,
    login: pusher,
    scopes,
    organizations,
    hostArch: host,
    binaryBuild: build,
    version,
    ...(typeof installed === 'string' ? { installedVersion: installed } : {}),
  };
}

/**
 * The preflight function's second phase (the CompareRefs state, after the sync): the destinations'
 * refs again, deciding updated or unchanged per action. It runs in the preflight function because
 * that is the one function allowed to read the destination token.
 */
export async function compareRefsAfterSync(
  request: ActionsSyncRequest,
  before: RefsSnapshot,
  results: Parameters<typeof compareRefs>[3],
  deps: Pick<Deps, 'config' | 'ghesApi' | 'log' | 'params'>,
): ReturnType<typeof compareRefs> {
  return compareRefs(request, await destinationToken(request, deps), before, results, deps);
}
