import { createHash } from 'node:crypto';
import { verify } from '@octokit/webhooks-methods';
import type { Logger } from '../logger.js';
import type { ServiceDesk } from './desk.js';
import { parseQuickActions } from './quick-actions.js';

/**
 * Team replies: GitHub `issue_comment` webhooks. The signature (`X-Hub-Signature-256`, HMAC-SHA256
 * of the raw body with the webhook secret) is checked before anything else; forged or unsigned
 * requests get 401 and change nothing.
 *
 * The one rule for what is mailed (safe by default): only a NEW comment whose first line starts
 * with `/reply` is sent to the external participants, with that marker removed. Every other
 * comment, edits, comments by bots (the desk's own customer comments) and issues without a ticket
 * record stay internal. An `issues` event with action `closed` mails the `closed` template when the
 * project opted in (`closedMail`).
 *
 * Quick actions (quick-actions.ts): the leading lines of a new comment may be `/add_email`,
 * `/remove_email`, `/convert_to_ticket`, `/close`, then `/reply`; each is acknowledged (or
 * refused, with the reason) by one comment of the desk on the issue.
 *
 * Replays: a delivery is handled once, keyed on the signed body (its SHA-256) as well as on the
 * `X-GitHub-Delivery` id, so neither a replayed body under a new delivery id nor a repeated
 * delivery id gets a second mail.
 */

/** `X-Hub-Signature-256` checked by `@octokit/webhooks-methods` (constant time). */
export async function verifySignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
): Promise<boolean> {
  if (!secret || !header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  return verify(secret, rawBody, header).catch(() => false);
}

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface WebhookResponse {
  status: number;
  body: { ok: boolean; action: string; sent?: number };
}

const header = (h: WebhookRequest['headers'], name: string): string | undefined => {
  const v =
    h[name] ?? h[name.toLowerCase()] ?? Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
};

interface CommentPayload {
  action?: string;
  issue?: { number?: number; labels?: { name: string }[]; state?: string; closed_at?: string | null };
  comment?: { id?: number; body?: string; user?: { login?: string; type?: string } };
  repository?: { full_name?: string };
}

/** deskb (issue 19 item 5): what else runs when a ticket is closed (the satisfaction survey). */
export interface WebhookHooks {
  /** Called once per `issues` `closed` delivery, after the `closed` mail; must not throw. */
  onClosed?: (repo: string, number: number) => Promise<number>;
}

export async function handleWebhook(
  req: WebhookRequest,
  secret: string,
  desk: ServiceDesk,
  log: Logger,
  hooks: WebhookHooks = {},
): Promise<WebhookResponse> {
  const done = (status: number, action: string, sent?: number): WebhookResponse => ({
    status,
    body: { ok: status < 300, action, ...(sent !== undefined ? { sent } : {}) },
  });
  if (!(await verifySignature(secret, req.body, header(req.headers, 'x-hub-signature-256')))) {
    log.warn('service desk webhook: bad or missing signature', {
      delivery: header(req.headers, 'x-github-delivery'),
    });
    return done(401, 'unauthorized');
  }
  const event = header(req.headers, 'x-github-event');
  if (event === 'ping') return done(200, 'pong');
  if (event !== 'issue_comment' && event !== 'issues') return done(202, 'ignored-event');
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch {
    return done(400, 'invalid-json');
  }
  // `null`, a number, a string or an array is no event payload.
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return done(400, 'payload-not-an-object');
  const p = parsed as CommentPayload;
  const repo = typeof p.repository?.full_name === 'string' ? p.repository.full_name : undefined;
  const number = typeof p.issue?.number === 'number' ? p.issue.number : undefined;
  let act: () => Promise<WebhookResponse>;
  if (event === 'issues') {
    if (p.action !== 'closed') return done(202, 'ignored-action');
    if (!repo || !number) return done(400, 'incomplete-payload');
    const closedAt = typeof p.issue?.closed_at === 'string' ? p.issue.closed_at : undefined;
    act = async () => {
      const sent = await desk.mailClosed(repo, number, closedAt);
      log.info('service desk: closed ticket mailed', { repo, number, sent });
      // deskb (issue 19 item 5): the satisfaction survey (opt-in per project; satisfaction.ts).
      if (hooks.onClosed) await hooks.onClosed(repo, number);
      return done(200, sent ? 'mailed-closed' : 'closed-not-mailed', sent);
    };
  } else {
    const body = typeof p.comment?.body === 'string' ? p.comment.body : '';
    if (p.action !== 'created') return done(202, 'ignored-action');
    if (p.comment?.user?.type === 'Bot') return done(202, 'ignored-bot');
    const parsed = parseQuickActions(body);
    if (!parsed.actions.length && parsed.note === undefined) return done(202, 'internal-comment');
    if (!repo || !number || !p.comment?.id) return done(400, 'incomplete-payload');
    if (!parsed.actions.length && !parsed.note) return done(202, 'empty-reply');
    act = async () => {
      // Logged by the desk with each command's result.
      const r = await desk.handleComment(repo, number, parsed);
      return done(r.action === 'not-a-desk-repository' ? 202 : 200, r.action, r.sent);
    };
  }
  // Once per signed body and once per delivery id.
  const bodyKey = createHash('sha256').update(req.body, 'utf8').digest('hex');
  const delivery = header(req.headers, 'x-github-delivery');
  if (!(await desk.store.once('webhook-body', bodyKey))) return done(200, 'duplicate');
  if (delivery && !(await desk.store.once('webhook-delivery', delivery))) {
    await desk.store.forget('webhook-body', bodyKey);
    return done(200, 'duplicate');
  }
  try {
    return await act();
  } catch (e) {
    await desk.store.forget('webhook-body', bodyKey);
    if (delivery) await desk.store.forget('webhook-delivery', delivery);
    throw e;
  }
}
