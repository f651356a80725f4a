import { approvalLink, decideApproval } from '../shared/failover/approval.js';
import type { LocalHttpServer } from './http-server.js';
import type { LocalWorld } from './world.js';

/**
 * The failover approval routes of the local stack (what the HTTP API does in AWS):
 * - `GET|POST /failover/approvals/:execution` – the approval link from the email (confirmation
 *   page; the POST carries the one-time code);
 * - `POST /failover/approvals/:execution/decision` – `ghes-ops approve|reject` (JSON
 *   `{decision, reason?, by?}`): trusted like every route of this loopback-only server.
 */
export function failoverRoutes(server: LocalHttpServer, world: LocalWorld): void {
  const html = async (
    method: string,
    req: { params: Record<string, string>; query: URLSearchParams; body: string },
  ) => {
    const page = await approvalLink(method, req.params.execution ?? '', req.query, req.body, world.deps);
    return {
      status: page.status,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      body: page.html,
    };
  };
  server.route('GET', '/failover/approvals/:execution', (req) => html('GET', req));
  server.route('POST', '/failover/approvals/:execution', (req) => html('POST', req));
  server.route('POST', '/failover/approvals/:execution/decision', async (req) => {
    let body: { decision?: unknown; reason?: unknown; by?: unknown };
    try {
      body = req.body ? (JSON.parse(req.body) as typeof body) : {};
    } catch {
      return {
        status: 400,
        body: { error: 'the body must be JSON {"decision": "approve"|"reject", "reason"?, "by"?}' },
      };
    }
    if (body.decision !== 'approve' && body.decision !== 'reject')
      return { status: 400, body: { error: 'decision must be "approve" or "reject"' } };
    try {
      const done = await decideApproval(
        {
          executionName: req.params.execution ?? '',
          decision: body.decision,
          by: typeof body.by === 'string' ? body.by : 'local CLI',
          ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
          via: 'cli',
        },
        world.deps,
        { trusted: true },
      );
      return { status: 200, body: done };
    } catch (error) {
      const e = error as Error;
      return {
        status: e.name === 'ApprovalNotFound' ? 404 : 500,
        body: { error: e.name, message: e.message },
      };
    }
  });
}
