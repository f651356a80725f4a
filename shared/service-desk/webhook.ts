import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { ServiceDesk } from './desk.js';

/**
 * Team replies: GitHub `issue_comment` webhooks. The signature (`X-Hub-Signature-256`, HMAC-SHA256
 * of the raw body with the webhook secret) is checked before anything else; forged or unsigned
 * requests get 401 and change nothing.
 *
 * The one rule for what is mailed (safe by default): only a NEW comment whose first line starts
 * with `/reply` is sent to the external participants, with that marker removed. Every other
 * comment, edits, comments by bots (the desk's own customer comments) and issues without a ticket
 * record stay internal.
 */
export const REPLY_COMMAND = /^\/reply(?:[ \t]+|[ \t]*(?:\r?\n|$))/;

export function verifySignature(secret: string, rawBody: string, header: string | undefined): boolean {
  if (!secret || !header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex')}`,
  );
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
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
  issue?: { number?: number; labels?: { name: string }[] };
  comment?: { id?: number; body?: string; user?: { login?: string; type?: string } };
  repository?: { full_name?: string };
}

export async function handleWebhook(
  req: WebhookRequest,
  secret: string,
  desk: ServiceDesk,
  log: Logger,
): Promise<WebhookResponse> {
  const done = (status: number, action: string, sent?: number): WebhookResponse => ({
    status,
    body: { ok: status < 300, action, ...(sent !== undefined ? { sent } : {}) },
  });
  if (!verifySignature(secret, req.body, header(req.headers, 'x-hub-signature-256'))) {
    log.warn('service desk webhook: bad or missing signature', {
      delivery: header(req.headers, 'x-github-delivery'),
    });
    return done(401, 'unauthorized');
  }
  const event = header(req.headers, 'x-github-event');
  if (event === 'ping') return done(200, 'pong');
  if (event !== 'issue_comment') return done(202, 'ignored-event');
  let p: CommentPayload;
  try {
    p = JSON.parse(req.body) as CommentPayload;
  } catch {
    return done(400, 'invalid-json');
  }
  const body = p.comment?.body ?? '';
  if (p.action !== 'created') return done(202, 'ignored-action');
  if (p.comment?.user?.type === 'Bot') return done(202, 'ignored-bot');
  if (!REPLY_COMMAND.test(body)) return done(202, 'internal-comment');
  const repo = p.repository?.full_name;
  const number = p.issue?.number;
  if (!repo || !number || !p.comment?.id) return done(400, 'incomplete-payload');
  const note = body.replace(REPLY_COMMAND, '').trim();
  if (!note) return done(202, 'empty-reply');
  if (!(await desk.store.once('note', `${repo}#${number}#${p.comment.id}`))) return done(200, 'duplicate');
  try {
    const sent = await desk.mailNote(repo, number, note);
    log.info('service desk: team reply mailed', { repo, number, sent });
    return done(200, sent ? 'mailed' : 'no-ticket-record', sent);
  } catch (e) {
    await desk.store.forget('note', `${repo}#${number}#${p.comment.id}`);
    throw e;
  }
}
