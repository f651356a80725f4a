import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { escapeHtml, page } from '../github-app/pages.js';
import {
  method,
  pathParam,
  query,
  rawBody,
  result,
  type HttpApiEvent,
  type HttpApiResult,
} from '../http/api-event.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { ParameterStore } from '../params/parameter-store.js';
import type { RecordStore } from '../records/record-store.js';
import type { Deps } from '../runtime/deps.js';
import type { DeskConfig } from './config.js';
import { deskConfigFor } from './custom-email/project.js';
import { ticketThread } from './thread-headers.js';
import { cutAt, ticketInline, ticketMarkdown } from './sanitize.js';
import { DeskStore, hash } from './store.js';
import { markdownToHtml } from './templates.js';
import type { TicketRepository } from './tickets.js';

/**
 * Satisfaction survey (issue 19 item 5; gitlab#20127). When a ticket of a project with
 * `satisfaction: true` is closed, its requester (the first external participant) gets one mail with
 * three links: good, neutral, bad. A link is a token signed with HMAC-SHA256 under a key in the
 * parameter store (`<prefix>/service-desk/satisfaction-key`, SecureString, made on first use), naming
 * the ticket (repository, number, node id), the requester (a hash), an expiry and a nonce.
 *
 * `GET /service-desk/satisfaction/{token}` only shows a page with the choice and a button: mail
 * scanners follow links, and a GET records nothing. `POST` (the page's form) records the rating once:
 * the nonce is claimed by a conditional create in the record store before GHES is touched, then the
 * ticket gets the label `satisfaction:<rating>` and a comment. A second POST of the link, an expired
 * link or a forged one changes nothing and says why.
 */
export const RATINGS = ['good', 'neutral', 'bad'] as const;
export type Rating = (typeof RATINGS)[number];
const RATING_TEXT: Record<Rating, string> = { good: 'Good', neutral: 'Okay', bad: 'Bad' };
export const RATING_LABEL_PREFIX = 'satisfaction:';

export const surveyKeyParam = (parameterPrefix: string): string =>
  `${parameterPrefix}/service-desk/satisfaction-key`;

export interface SurveyClaims {
  v: 1;
  /** Tickets repository and issue number. */
  r: string;
  n: number;
  /** The issue's node id when known: the rating lands only on that very issue. */
  i?: string;
  /** Hash of the requester's address (never the address: the link is readable). */
  a: string;
  /** Expiry, epoch seconds. */
  e: number;
  /** Nonce: the link's single use. */
  j: string;
}

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
const mac = (key: string, payload: string): Buffer =>
  createHmac('sha256', key).update(`ghes-ops-satisfaction.${payload}`).digest();

/** Checked before anything else: base64url payload (bounded) and a 32-byte MAC. */
const TOKEN = /^[A-Za-z0-9_-]{20,800}\.[A-Za-z0-9_-]{43}$/;

export function signSurvey(key: string, claims: SurveyClaims): string {
  const payload = b64(JSON.stringify(claims));
  return `${payload}.${b64(mac(key, payload))}`;
}

export type SurveyCheck =
  { ok: true; claims: SurveyClaims } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

/** The token's claims when its MAC is right (constant-time compare) and it has not expired. */
export function verifySurvey(key: string, token: string, nowMs: number): SurveyCheck {
  if (!TOKEN.test(token)) return { ok: false, reason: 'malformed' };
  const [payload, sig] = token.split('.') as [string, string];
  const want = mac(key, payload);
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want))
    return { ok: false, reason: 'bad-signature' };
  let claims: SurveyClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SurveyClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (
    !claims ||
    claims.v !== 1 ||
    typeof claims.r !== 'string' ||
    typeof claims.n !== 'number' ||
    typeof claims.e !== 'number' ||
    typeof claims.j !== 'string' ||
    typeof claims.a !== 'string'
  )
    return { ok: false, reason: 'malformed' };
  if (claims.e * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

/**
 * The signing key. `create`: made (32 random bytes, SecureString) when absent; of two makers the
 * first wins (a put without overwrite) and both use its key.
 */
export async function surveyKey(
  params: ParameterStore,
  parameterPrefix: string,
  create: boolean,
): Promise<string | undefined> {
  const name = surveyKeyParam(parameterPrefix);
  const have = await params.get(name);
  if (have || !create) return have || undefined;
  try {
    await params.put(name, randomBytes(32).toString('base64url'), { secure: true, overwrite: false });
  } catch (e) {
    if ((e as Error).name !== 'ParameterAlreadyExists') throw e;
  }
  return params.get(name);
}

export interface SurveyDeps {
  config: DeskConfig;
  tickets: Pick<TicketRepository, 'getIssue' | 'addLabels' | 'addComment'>;
  records: RecordStore;
  params: ParameterStore;
  parameterPrefix: string;
  log: Logger;
  /** Real time (link expiry). */
  now: () => number;
}

/** A used link's record outlives the longest expiry (30 days). */
const USED_TTL_SECONDS = 31 * 24 * 3600;
const usedKey = (c: DeskConfig, nonce: string): string =>
  `${c.recordPrefix}/satisfaction-used/${hash(nonce)}`;

/**
 * Call on close (the `issues` `closed` webhook; see webhook.ts): mails the survey to the ticket's
 * requester when the project opted in. Never throws (a survey must not fail the close path); returns
 * how many were mailed (0 or 1).
 */
export async function sendSatisfactionSurvey(
  d: SurveyDeps & { mailer: Mailer },
  repo: string,
  number: number,
): Promise<number> {
  const project = d.config.projects.find((p) => p.repo === repo);
  if (!project?.satisfaction) return 0;
  try {
    const ticket = await d.tickets.getIssue(repo, number);
    const store = new DeskStore(d.records, d.config.recordPrefix);
    const record = await store.ticket(repo, number, ticket.nodeId);
    const requester = record?.participants[0];
    const now = d.now();
    if (!record || !requester) return 0;
    if (
      requester.unsubscribed ||
      (requester.undeliverableUntil ?? 0) > now ||
      (await store.undeliverable(requester.address, now))
    )
      return 0;
    // Once per closing (a redelivered `closed` webhook sends no second survey); reopened and
    // closed again, it is asked again.
    const once = `${record.nodeId ?? `${repo}#${number}`}/${ticket.closedAt ?? 'unknown'}`;
    if (!(await store.once('survey-mail', once))) return 0;
    const expires = Math.floor(now / 1000) + d.config.satisfaction.expiryDays * 86_400;
    const key = await surveyKey(d.params, d.parameterPrefix, true);
    if (!key) throw new Error(`the signing key ${surveyKeyParam(d.parameterPrefix)} could not be read`);
    const token = signSurvey(key, {
      v: 1,
      r: repo,
      n: number,
      ...(record.nodeId ? { i: record.nodeId } : {}),
      a: hash(requester.address.toLowerCase()),
      e: expires,
      j: randomBytes(16).toString('base64url'),
    });
    const c = d.config;
    const link = (r: Rating): string => `${c.publicUrl}/satisfaction/${token}?rating=${r}`;
    const { title, headers } = ticketThread(record, requester.replyKey, c.domain);
    const text = [
      `Your ticket #${number} was closed. How did we do?`,
      '',
      ...RATINGS.map((r) => `- ${RATING_TEXT[r]}: ${link(r)}`),
      '',
      `One click opens a page where you confirm your rating (and may add a comment). The links work once, until ${new Date(expires * 1000).toISOString().slice(0, 10)}.`,
    ].join('\n');
    await d.mailer
      .send({
        from: `${c.botName} <${c.local}@${c.domain}>`,
        to: [requester.address],
        subject: `How did we do? ${title} (#${number})`,
        text: `${text}\n`,
        html: await markdownToHtml(text),
        replyTo: `${c.local}+${requester.replyKey}@${c.domain}`,
        headers,
      })
      .catch(async (e: unknown) => {
        await store.forget('survey-mail', once); // not sent: a redelivery may try again
        throw e;
      });
    d.log.info('service desk: satisfaction survey mailed', { repo, number });
    return 1;
  } catch (e) {
    d.log.error('service desk: satisfaction survey not sent (the ticket is closed all the same)', {
      repo,
      number,
      detail: (e as Error).message,
    });
    return 0;
  }
}

const surveyPage = (status: number, title: string, inner: string): HttpApiResult => {
  const p = page(status, title, inner);
  return result(p.status, p.headers, p.body);
};
const INVALID = (): HttpApiResult =>
  surveyPage(404, 'Unknown survey link', '<p>This link is not valid. Nothing was recorded.</p>');

const isRating = (v: unknown): v is Rating =>
  typeof v === 'string' && (RATINGS as readonly string[]).includes(v);

function form(token: string, number: number, chosen: Rating | undefined, problem?: string): string {
  const choices = RATINGS.map(
    (r) =>
      `<label><input type="radio" name="rating" value="${r}"${r === chosen ? ' checked' : ''} required> ${RATING_TEXT[r]}</label>`,
  ).join('<br>');
  return `${problem ? `<p><strong>${escapeHtml(problem)}</strong></p>` : ''}
<p>How did we do on ticket #${number}? Your rating is recorded when you press the button.</p>
<form method="post" action="${escapeHtml(token)}">
<p>${choices}</p>
<p><label>Comment (optional)<br><textarea name="comment" rows="4" cols="60" maxlength="2000"></textarea></label></p>
<button type="submit">Send rating</button>
</form>`;
}

/**
 * `GET|POST /service-desk/satisfaction/{token}` (serviceDeskSurvey). GET shows the confirmation
 * page; POST records the rating once.
 */
export async function serveSatisfaction(event: HttpApiEvent, d: SurveyDeps): Promise<HttpApiResult> {
  const token = pathParam(event, 'token');
  if (!TOKEN.test(token)) return INVALID();
  const key = await surveyKey(d.params, d.parameterPrefix, false);
  // No key: no link was ever issued under it (or it was deleted: every link is void).
  if (!key) return INVALID();
  const check = verifySurvey(key, token, d.now());
  if (!check.ok) {
    d.log.warn('service desk: satisfaction link refused', { reason: check.reason });
    return check.reason === 'expired'
      ? surveyPage(
          410,
          'This survey link has expired',
          '<p>Nothing was recorded. Thank you all the same.</p>',
        )
      : INVALID();
  }
  const claims = check.claims;
  // A project that turned the survey off (or a repository no project uses any more) takes no rating.
  if (!d.config.projects.find((p) => p.repo === claims.r)?.satisfaction) return INVALID();
  const used = usedKey(d.config, claims.j);
  if (await d.records.get(used))
    return surveyPage(
      410,
      'Already rated',
      '<p>This link was used already; your rating was recorded. Thank you!</p>',
    );
  if (method(event) === 'GET') {
    const wanted = query(event).get('rating');
    return surveyPage(200, 'Rate our support', form(token, claims.n, isRating(wanted) ? wanted : undefined));
  }
  const fields = new URLSearchParams(rawBody(event).slice(0, 20_000));
  const rating = fields.get('rating');
  if (!isRating(rating))
    return surveyPage(400, 'Rate our support', form(token, claims.n, undefined, 'Choose a rating.'));
  const comment = (fields.get('comment') ?? '').trim();
  // Single use: claimed before GHES is touched; given back if GHES fails.
  if (
    !(await d.records.create(used, JSON.stringify({ rating, at: d.now() }), { ttlSeconds: USED_TTL_SECONDS }))
  )
    return surveyPage(
      410,
      'Already rated',
      '<p>This link was used already; your rating was recorded. Thank you!</p>',
    );
  try {
    const ticket = await d.tickets.getIssue(claims.r, claims.n);
    if (claims.i && ticket.nodeId && ticket.nodeId !== claims.i)
      return surveyPage(410, 'This ticket no longer exists', '<p>Nothing was recorded.</p>');
    const store = new DeskStore(d.records, d.config.recordPrefix);
    const record = await store.ticket(claims.r, claims.n, ticket.nodeId);
    const who = record?.participants.find((p) => hash(p.address.toLowerCase()) === claims.a)?.address;
    const quoted = comment
      ? `\n\n${ticketMarkdown(cutAt(comment, 2000))
          .split('\n')
          .map((l) => `> ${l}`)
          .join('\n')}`
      : '';
    await d.tickets.addLabels(claims.r, claims.n, [`${RATING_LABEL_PREFIX}${rating}`]);
    await d.tickets.addComment(
      claims.r,
      claims.n,
      `**Satisfaction rating** from ${who ? ticketInline(who, 260) : 'the requester'}: **${RATING_TEXT[rating]}** (\`${RATING_LABEL_PREFIX}${rating}\`)${quoted}`,
    );
  } catch (e) {
    await d.records.delete(used).catch(() => undefined);
    d.log.error('service desk: satisfaction rating not recorded', {
      repo: claims.r,
      number: claims.n,
      detail: (e as Error).message,
    });
    return surveyPage(
      503,
      'Please try again',
      '<p>Your rating could not be recorded just now. Please try again later.</p>',
    );
  }
  d.log.info('service desk: satisfaction rating recorded', { repo: claims.r, number: claims.n, rating });
  return surveyPage(200, 'Thank you', `<p>Your rating (${RATING_TEXT[rating]}) was recorded.</p>`);
}

/** The survey deps of a function (serviceDeskSurvey, and serviceDeskHttp's close path). */
export function surveyDepsFrom(
  deps: Pick<Deps, 'config' | 'tickets' | 'records' | 'params' | 'log' | 'wallClock'>,
): SurveyDeps {
  return {
    config: deskConfigFor(deps.config),
    tickets: deps.tickets,
    records: deps.records,
    params: deps.params,
    parameterPrefix: deps.config.parameterPrefix,
    log: deps.log,
    now: () => deps.wallClock.now(),
  };
}

/** serviceDeskSurvey's route handler. */
export function serveSatisfactionRoute(
  event: HttpApiEvent,
  deps: Pick<Deps, 'config' | 'tickets' | 'records' | 'params' | 'log' | 'wallClock'>,
): Promise<HttpApiResult> {
  return serveSatisfaction(event, surveyDepsFrom(deps));
}
