import type { Deps } from '../runtime/deps.js';
import { githubAppWebhookSecret } from './app-client.js';

/**
 * The app's webhook endpoint. The signature (`X-Hub-Signature-256`, HMAC-SHA256 of the raw body
 * with the app's webhook secret) is verified on the exact bytes received by
 * `@octokit/webhooks-methods` (what @octokit/app's `webhooks.verifyAndReceive` calls; the App itself
 * is never built here, so the function does not bundle Octokit), in constant time; anything
 * that does not verify gets 401 and reaches no handler. Verified events are routed by name
 * (`issues`, or `issues.opened` for one action) to the handlers registered with `onWebhook`. Handlers must
 * be quick (GitHub gives up after 10 s): long work starts a workflow instead.
 */
export interface WebhookEvent {
  id: string;
  name: string;
  action?: string;
  payload: Record<string, unknown>;
}
export type WebhookHandler = (
  event: WebhookEvent,
  deps: Pick<Deps, 'config' | 'params' | 'log'>,
) => Promise<void>;

const handlers = new Map<string, WebhookHandler[]>();

/** Registers a handler for `event` or `event.action` (features call this when their module loads). */
export function onWebhook(name: string, handler: WebhookHandler): void {
  handlers.set(name, [...(handlers.get(name) ?? []), handler]);
}

const logInstallation: WebhookHandler = async (event, deps) => {
  const inst = event.payload.installation as { id?: number; account?: { login?: string } } | undefined;
  deps.log.info('GitHub App installation changed', {
    event: event.name,
    action: event.action,
    installationId: inst?.id,
    account: inst?.account?.login,
  });
};
onWebhook('installation', logInstallation);
onWebhook('installation_repositories', logInstallation);

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
export interface WebhookResponse {
  status: number;
  body: { ok: boolean; event?: string; handled?: number; error?: string };
}

const header = (h: WebhookRequest['headers'], name: string): string => {
  const v = h[name] ?? h[name.toLowerCase()];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

/** How long a delivery id is remembered (GitHub keeps deliveries for redelivery about that long). */
const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;

export async function receiveWebhook(
  req: WebhookRequest,
  deps: Pick<Deps, 'config' | 'params' | 'records' | 'log'>,
): Promise<WebhookResponse> {
  const signature = header(req.headers, 'x-hub-signature-256');
  const name = header(req.headers, 'x-github-event');
  const id = header(req.headers, 'x-github-delivery');
  if (!signature || !name) {
    deps.log.warn('webhook refused: unsigned', { delivery: id || undefined, event: name || undefined });
    return { status: 401, body: { ok: false, error: 'signature required' } };
  }
  let secret: string;
  try {
    secret = await githubAppWebhookSecret(deps);
  } catch (err) {
    if ((err as Error).name !== 'ConfigError') throw err;
    deps.log.warn('webhook refused: no GitHub App registered', { delivery: id, event: name });
    return { status: 503, body: { ok: false, error: 'no GitHub App is registered' } };
  }
  const { verify } = await import('@octokit/webhooks-methods');
  // A malformed signature header throws: refused like one that does not match.
  if (!(await verify(secret, req.body, signature).catch(() => false))) {
    deps.log.warn('webhook refused', { delivery: id, event: name, reason: 'bad signature' });
    return { status: 401, body: { ok: false, error: 'signature does not match' } };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    deps.log.warn('webhook refused', { delivery: id, event: name, reason: 'invalid JSON' });
    return { status: 400, body: { ok: false, error: 'invalid JSON' } };
  }
  // GitHub redelivers (manually or after a timeout): each delivery id is handled once.
  const marker = `${deps.config.parameterPrefix}/github-app/deliveries/${id}`;
  if (id && !(await deps.records.create(marker, '1', { ttlSeconds: DELIVERY_TTL_SECONDS }))) {
    deps.log.info('webhook redelivery ignored', { delivery: id, event: name });
    return { status: 200, body: { ok: true, event: name, handled: 0 } };
  }
  const payload = parsed as Record<string, unknown>;
  const action = typeof payload.action === 'string' ? payload.action : undefined;
  const event: WebhookEvent = { id, name, ...(action ? { action } : {}), payload };
  const matched = [
    ...(handlers.get(name) ?? []),
    ...(action ? (handlers.get(`${name}.${action}`) ?? []) : []),
  ];
  try {
    await Promise.all(matched.map((h) => h(event, deps)));
  } catch (err) {
    if (id) await deps.records.delete(marker).catch(() => undefined); // a redelivery may try again
    throw err;
  }
  deps.log.info('webhook received', { delivery: id, event: name, action, handled: matched.length });
  return { status: 202, body: { ok: true, event: name, handled: matched.length } };
}
