import type { SandboxGhes } from './ghes-server.js';
import { json, unauthorized } from './ghes-server.js';

/**
 * Endpoints the actions-sync preflight reads: organization membership roles
 * (`GET /api/v3/orgs/{org}/memberships/{username}`, `role` admin = owner) and repository
 * contents (a list file kept in an ops repository; `files` maps `owner/repo/path` to its text).
 */
export function addActionsSyncRoutes(ghes: SandboxGhes, files: Map<string, string>): void {
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
