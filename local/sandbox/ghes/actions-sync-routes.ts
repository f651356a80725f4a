import type { SandboxGhes } from './ghes-server.js';
import { json, unauthorized } from './ghes-server.js';

/**
 * Endpoints the actions-sync preflight reads: organization membership roles
 * (`GET /api/v3/orgs/{org}/memberships/{username}`, `role` admin = owner) and repository
 * contents (a list file kept in an ops repository; `files` maps `owner/repo/path` to its text).
 */
export function addActionsSyncRoutes(
  ghes: SandboxGhes,
  files: Map<string, string>,
  /** Destination (lower case `owner/repo`) -> the revision synced there (the sim's record). */
  synced: ReadonlyMap<string, string> = new Map(),
): void {
  const notFound = () =>
    json(404, {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/enterprise-server@3.17/rest',
    });
  ghes.route('GET', '/api/v3/orgs/:org/memberships/:user', (req, auth) => {
    if (!auth) return unauthorized();
    const owners = ghes.sandbox.orgOwners(req.params.org ?? '');
    if (!ghes.sandbox.organizations().includes(req.params.org ?? '')) return notFound();
    const user = req.params.user ?? '';
    if (!owners.includes(user)) return notFound();
    return json(200, {
      state: 'active',
      role: 'admin',
      organization: { login: req.params.org },
      user: { login: user },
    });
  });
  // Every ref of a repository (`git/matching-refs/` without a ref), paged: a synced action's
  // default branch and one tag at the upstream revision.
  ghes.route('GET', '/api/v3/repos/:owner/:repo/git/matching-refs/', (req, auth) => {
    if (!auth) return unauthorized();
    const repo = `${req.params.owner}/${req.params.repo}`;
    const revision = synced.get(repo.toLowerCase());
    if (revision === undefined) return notFound();
    const refs = ['refs/heads/main', 'refs/tags/v1'].map((ref) => ({
      ref,
      node_id: Buffer.from(`${repo}:${ref}`).toString('base64'),
      url: `${ghes.url}/api/v3/repos/${repo}/git/${ref}`,
      object: {
        sha: revision,
        type: 'commit',
        url: `${ghes.url}/api/v3/repos/${repo}/git/commits/${revision}`,
      },
    }));
    const perPage = Math.min(100, Number(req.query.get('per_page') ?? 30) || 30);
    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
    return json(200, refs.slice((page - 1) * perPage, page * perPage));
  });
  ghes.route('GET', '/api/v3/repos/:owner/:repo/contents/:path', (req, auth) => {
    if (!auth) return unauthorized();
    const key = `${req.params.owner}/${req.params.repo}/${decodeURIComponent(req.params.path ?? '')}`;
    const text = files.get(key);
    if (text === undefined) return notFound();
    return json(200, {
      type: 'file',
      encoding: 'base64',
      path: req.params.path,
      content: Buffer.from(text, 'utf8').toString('base64'),
    });
  });
}
