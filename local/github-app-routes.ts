import { APP_ROUTES } from '../shared/github-app/config.js';
import { manifestRedirect, setupPage, type FlowOptions } from '../shared/github-app/flow.js';
import { receiveWebhook } from '../shared/github-app/webhooks.js';
import type { Deps } from '../shared/runtime/deps.js';
import type { LocalHttpServer } from './http-server.js';

/**
 * The GitHub App routes of the local stack (the HTTP API functions in AWS, functions/github-app/):
 * the setup page, the manifest redirect and the webhook endpoint (raw body, so signatures verify).
 */
export function githubAppRoutes(server: LocalHttpServer, deps: () => Deps, opts: FlowOptions = {}): void {
  server.route('GET', APP_ROUTES.setup, async (req) => setupPage(req.query, deps(), opts));
  server.route('GET', APP_ROUTES.redirect, async (req) => manifestRedirect(req.query, deps(), opts));
  server.route('POST', APP_ROUTES.webhook, async (req) => {
    const res = await receiveWebhook({ headers: req.headers, body: req.body }, deps());
    return { status: res.status, body: res.body };
  });
}
