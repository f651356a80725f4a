import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileParameterStore } from '../../local/adapters/file-parameter-store.js';
import { defaultConfig, displayConfig } from '../../local/config.js';
import { ConfigError } from '../../shared/errors.js';
import type { HttpApiEvent } from '../../shared/http/api-event.js';
import { deskAddressTable } from '../../shared/service-desk/aliases.js';
import { parseDeskConfig, type DeskConfig } from '../../shared/service-desk/config.js';
import { routeMail } from '../../shared/service-desk/route.js';
import { parseMail } from '../../shared/service-desk/parse.js';
import {
  sendSatisfactionSurvey,
  serveSatisfaction,
  signSurvey,
  surveyKeyParam,
  verifySurvey,
  type SurveyDeps,
} from '../../shared/service-desk/satisfaction.js';
import {
  breachComment,
  checkSla,
  slaClock,
  slaStatuses,
  timeToBreach,
} from '../../shared/service-desk/sla.js';
import { RestTicketRepository } from '../../shared/service-desk/tickets.js';
import { handleWebhook } from '../../shared/service-desk/webhook.js';
import { ROOT } from '../helpers/local-world.js';
import { deskConfig, eml, harness, signed, WEBHOOK_SECRET } from './desk-harness.js';

const base = {
  local: 'support',
  domain: 'desk.localhost',
  publicUrl: 'https://desk.example/service-desk',
};
const parse = (extra: Record<string, unknown>, project: Record<string, unknown> = {}): DeskConfig =>
  parseDeskConfig(
    {
      ...base,
      projects: [{ slug: 'acme-support', id: 1, repo: 'acme/support-tickets', ...project }],
      ...extra,
    },
    'test',
  );
const billing = { suffix: 'billing', labels: ['billing', 'priority:high'], assignees: ['mona', 'hubot'] };
const MIN = 60_000;

describe('several addresses per project (aliases)', () => {
  it('routes an alias address to its project with the alias, and lists every address with what it gives', async () => {
    const c = parse({}, { suffix: 'help', aliases: [billing] });
    const mail = await parseMail(eml({ headers: { To: 'support+acme-support-billing@desk.localhost' } }), c);
    const route = routeMail(mail, c);
    expect(route).toMatchObject({ kind: 'project', project: { slug: 'acme-support' }, alias: billing });
    const plain = routeMail(
      await parseMail(eml({ headers: { To: 'support+acme-support-help@desk.localhost' } }), c),
      c,
    );
    expect(plain).toEqual({ kind: 'project', project: c.projects[0] });
    expect(deskAddressTable(c)).toEqual([
      expect.objectContaining({
        address: 'support+acme-support-1-issue-@desk.localhost',
        labels: [],
        assignees: [],
      }),
      expect.objectContaining({ address: 'support+acme-support-help@desk.localhost', labels: [] }),
      {
        project: 'acme-support',
        repo: 'acme/support-tickets',
        address: 'support+acme-support-billing@desk.localhost',
        labels: ['billing', 'priority:high'],
        assignees: ['mona', 'hubot'],
      },
    ]);
  });

  it('gives a ticket from an alias its labels and assignees; an unknown alias is dropped, no ticket', async () => {
    const h = harness(deskConfig({ aliases: [billing] }));
    const o = await h.desk.ingest({
      raw: eml({ headers: { To: 'support+acme-support-billing@desk.localhost' } }),
    });
    expect(o).toMatchObject({ action: 'created', number: 1 });
    expect(h.tickets.issues[0]!.labels).toEqual(['service-desk', 'billing', 'priority:high']);
    expect(h.tickets.issues[0]!.assignees).toEqual(['mona', 'hubot']);
    const plain = await h.desk.ingest({ raw: eml() });
    expect(plain).toMatchObject({ action: 'created', number: 2 });
    expect(h.tickets.issues[1]!.labels).toEqual(['service-desk']);
    expect(h.tickets.issues[1]!.assignees).toEqual([]);
    const unknown = await h.desk.ingest({
      raw: eml({ headers: { To: 'support+acme-support-sales@desk.localhost' } }),
    });
    expect(unknown).toEqual({ action: 'dropped', reason: 'no-service-desk-key' });
    expect(h.tickets.issues).toHaveLength(2);
    expect(h.logs.join('\n')).toContain('no-service-desk-key');
  });

  it('keeps the ticket when the assignees cannot be set (logged, never a second ticket)', async () => {
    const h = harness(deskConfig({ aliases: [billing] }));
    h.tickets.addAssignees = async () => {
      throw new Error('GHES API POST assignees answered 502');
    };
    const raw = eml({ headers: { To: 'support+acme-support-billing@desk.localhost' } });
    expect(await h.desk.ingest({ raw })).toMatchObject({ action: 'created' });
    expect(await h.desk.ingest({ raw })).toMatchObject({ action: 'duplicate' });
    expect(h.tickets.issues).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('alias assignees not set');
  });

  it.each([
    [{ aliases: [{ suffix: 'Billing' }] }, /aliases\[0\]\.suffix may hold only a-z/],
    [{ aliases: [{ suffix: 'b', assignees: ['-bad'] }] }, /aliases\[0\]\.assignees must be a list/],
    [{ aliases: [{ suffix: 'b', labels: ['a,b'] }] }, /aliases\[0\]\.labels must be a list/],
    [{ aliases: [{ suffix: 'b', label: 'x' }] }, /aliases\[0\]\.label is not a known setting/],
    [{ suffix: 'b', aliases: [{ suffix: 'b' }] }, /"b" is used twice/],
    [{ aliases: 'billing' }, /aliases must be a list/],
  ])('refuses a bad alias at load with the field and the fix: %j', (project, message) => {
    expect(() => parse({}, project)).toThrow(ConfigError);
    expect(() => parse({}, project)).toThrow(message);
  });

  it('shows the addresses with their labels and assignees in `ghes-ops config --json`', () => {
    const shown = displayConfig(defaultConfig(ROOT)) as {
      local: { serviceDesk: { addresses: string[]; desk: DeskConfig } };
    };
    expect(shown.local.serviceDesk.addresses).toContain('support+acme-support-billing@desk.localhost');
    expect(shown.local.serviceDesk.desk.projects[0]!.aliases).toEqual([
      { suffix: 'billing', labels: ['billing'], assignees: [] },
    ]);
  });

  it('refuses one address key for two projects', () => {
    expect(() =>
      parseDeskConfig(
        {
          ...base,
          projects: [
            { slug: 'acme', id: 1, repo: 'a/b', aliases: [{ suffix: 'x_y' }] },
            { slug: 'acme-x_y', id: 2, repo: 'a/c', aliases: [{ suffix: 'x_y' }] },
            { slug: 'acme', id: 3, repo: 'a/d', aliases: [{ suffix: 'x_y' }] },
          ],
        },
        'test',
      ),
    ).toThrow(
      /"acme-x_y" belongs to both projects\[0\] \(acme\) and projects\[2\] \(acme\): change a suffix/,
    );
  });
});

describe('SLA', () => {
  const sla = {
    sla: {
      rules: [
        { label: 'service-desk', firstResponseMinutes: 240, nextResponseMinutes: 480 },
        { label: 'Priority:High', firstResponseMinutes: 30, nextResponseMinutes: 60 },
      ],
      team: '@acme/support',
    },
  };

  it.each([
    [{ sla: { rules: [] } }, /sla\.rules must list 1 to 50 rules/],
    [
      { sla: { rules: [{ label: 'x', firstResponseMinutes: 0, nextResponseMinutes: 1 }] } },
      /firstResponseMinutes must be a whole number/,
    ],
    [
      { sla: { rules: [{ label: 'x', firstResponseMinutes: 1, nextResponseMinutes: 1.5 }] } },
      /nextResponseMinutes/,
    ],
    [
      {
        sla: {
          rules: [
            { label: 'x', firstResponseMinutes: 1, nextResponseMinutes: 1 },
            { label: 'X', firstResponseMinutes: 2, nextResponseMinutes: 2 },
          ],
        },
      },
      /two rules for one label/,
    ],
    [
      {
        sla: {
          rules: [{ label: 'x', firstResponseMinutes: 1, nextResponseMinutes: 1 }],
          team: 'acme/support',
        },
      },
      /sla\.team must be a mention/,
    ],
    [
      { sla: { rules: [{ label: 'x', firstResponseMinutes: 1, nextResponseMinutes: 1 }], typo: 1 } },
      /sla\.typo is not a known setting/,
    ],
  ])('refuses a bad SLA setting at load: %j', (extra, message) => {
    expect(() => parse(extra)).toThrow(message);
  });

  const ticket = (labels: string[], createdAt = '2026-01-01T00:00:00.000Z') => ({
    repo: 'acme/support-tickets',
    number: 1,
    title: 't',
    state: 'open' as const,
    url: 'u',
    assignees: [],
    labels,
    createdAt,
  });
  const comment = (body: string, at: string, bot = false) => ({
    id: 1,
    body,
    author: bot ? 'desk[bot]' : 'mona',
    bot,
    createdAt: at,
  });

  it('runs first-response from creation, next-response from a customer mail after the team answered; internal comments do not count', () => {
    const c = parse(sla).sla!;
    expect(slaClock(ticket(['service-desk']), [], c)).toMatchObject({
      kind: 'first',
      dueAt: '2026-01-01T04:00:00.000Z',
      rule: 'service-desk',
    });
    // The strictest matching rule, labels compared case-insensitively.
    expect(slaClock(ticket(['service-desk', 'priority:high']), [], c)).toMatchObject({
      dueAt: '2026-01-01T00:30:00.000Z',
      rule: 'Priority:High',
      minutes: 30,
    });
    const internal = comment('Looking into it', '2026-01-01T00:10:00Z');
    expect(slaClock(ticket(['service-desk']), [internal], c)?.kind).toBe('first');
    const reply = comment('/reply Done', '2026-01-01T00:20:00Z');
    expect(slaClock(ticket(['service-desk']), [internal, reply], c)).toBeUndefined();
    // A bot's /reply-looking comment is not the team's answer.
    expect(
      slaClock(ticket(['service-desk']), [comment('/reply x', '2026-01-01T00:20:00Z', true)], c)?.kind,
    ).toBe('first');
    const customer = comment(
      '**Alice (alice@example.com)** replied by email:\n\nStill broken',
      '2026-01-01T01:00:00Z',
      true,
    );
    const again = comment(
      '**Alice (alice@example.com)** replied by email:\n\nHello?',
      '2026-01-01T02:00:00Z',
      true,
    );
    expect(slaClock(ticket(['service-desk']), [reply, customer, again], c)).toMatchObject({
      kind: 'next',
      since: '2026-01-01T01:00:00.000Z',
      dueAt: '2026-01-01T09:00:00.000Z',
    });
    expect(slaClock({ ...ticket(['service-desk']), state: 'closed' }, [], c)).toBeUndefined();
    expect(slaClock(ticket(['other']), [], c)).toBeUndefined();
    expect(timeToBreach({ dueAt: '2026-01-01T04:00:00.000Z' }, Date.parse('2026-01-01T03:00:00Z'))).toBe(
      60 * MIN,
    );
  });

  it('labels a breaching ticket and mentions the team ONCE across runs; a new wait breaches again', async () => {
    const h = harness(deskConfig({}, sla));
    const d = () => ({ config: h.config, tickets: h.tickets, records: h.records, log: h.log, now: h.now });
    await h.desk.ingest({ raw: eml() });
    const issue = h.tickets.issues[0]!;
    h.advance(239 * MIN);
    expect(await checkSla(d())).toMatchObject({ checked: 1, breached: [] });
    const [row] = await slaStatuses(d());
    expect(row?.clock).toMatchObject({ kind: 'first', msToBreach: MIN, breached: false });
    h.advance(2 * MIN);
    expect((await checkSla(d())).breached).toEqual([
      { repo: 'acme/support-tickets', number: 1, kind: 'first', dueAt: '2026-01-01T04:00:00.000Z' },
    ]);
    expect(issue.labels).toContain('sla-breached');
    const breachComments = () => issue.comments.filter((b) => b.startsWith('**SLA breached**'));
    expect(breachComments()).toHaveLength(1);
    expect(breachComments()[0]).toContain('@acme/support');
    // Later runs, and two runs at once, never label or mention again.
    const [a, b] = await Promise.all([checkSla(d()), checkSla(d())]);
    expect(a.alreadyHandled + b.alreadyHandled).toBe(2);
    h.advance(60 * MIN);
    expect((await checkSla(d())).alreadyHandled).toBe(1);
    expect(breachComments()).toHaveLength(1);
    // The team answers, the customer writes again: a next-response wait, its own breach.
    h.tickets.comment('acme/support-tickets', 1, '/reply On it.', 'mona');
    issue.assignees.push('mona');
    h.advance(MIN);
    await h.desk.ingest({ raw: eml({ headers: { To: h.mailer.sent[0]!.replyTo! }, body: 'Still broken' }) });
    h.advance(479 * MIN);
    expect((await checkSla(d())).breached).toEqual([]);
    h.advance(2 * MIN);
    expect((await checkSla(d())).breached).toMatchObject([{ kind: 'next' }]);
    expect(breachComments()).toHaveLength(2);
    expect(breachComments()[1]).toContain('@mona, please answer');
    expect((await checkSla(d())).breached).toEqual([]);
  });

  it('gives the claim back when GHES fails, so the next run labels it (and says the run was incomplete)', async () => {
    const h = harness(deskConfig({}, sla));
    const d = () => ({ config: h.config, tickets: h.tickets, records: h.records, log: h.log, now: h.now });
    await h.desk.ingest({ raw: eml() });
    h.advance(241 * MIN);
    const addComment = h.tickets.addComment.bind(h.tickets);
    h.tickets.addComment = async () => {
      throw new Error('GHES API POST comments answered 502');
    };
    await expect(checkSla(d())).rejects.toMatchObject({ name: 'SlaCheckIncomplete' });
    h.tickets.addComment = addComment;
    expect((await checkSla(d())).breached).toHaveLength(1);
    expect(h.tickets.issues[0]!.comments.filter((b) => b.startsWith('**SLA breached**'))).toHaveLength(1);
  });

  it('does nothing without SLA rules, and names nobody when nobody is assigned and no team is set', async () => {
    const h = harness();
    await h.desk.ingest({ raw: eml() });
    h.advance(1000 * MIN);
    expect(
      await checkSla({ config: h.config, tickets: h.tickets, records: h.records, log: h.log, now: h.now }),
    ).toEqual({ checked: 0, breached: [], alreadyHandled: 0 });
    const text = breachComment(
      { assignees: [] },
      { kind: 'first', since: 's', dueAt: 'd', rule: 'r', minutes: 90 },
      { rules: [], breachLabel: 'x' },
    );
    expect(text).toContain('Nobody is assigned');
    expect(text).toContain('90 min');
  });
});

describe('satisfaction survey', () => {
  const KEY_PREFIX = '/ghes-ops/test';
  const setup = async (
    project: Record<string, unknown> = { satisfaction: true },
    extra: Record<string, unknown> = {},
  ) => {
    const h = harness(deskConfig(project, extra));
    const params = new FileParameterStore(path.join(mkdtempSync(path.join(tmpdir(), 'survey-')), 'p.json'));
    const deps: SurveyDeps = {
      config: h.config,
      tickets: h.tickets,
      records: h.records,
      params,
      parameterPrefix: KEY_PREFIX,
      log: h.log,
      now: h.now,
    };
    await h.desk.ingest({ raw: eml() });
    return { h, params, deps };
  };
  const event = (
    method: 'GET' | 'POST',
    token: string,
    o: { query?: string; body?: string } = {},
  ): HttpApiEvent =>
    ({
      version: '2.0',
      routeKey: `${method} /service-desk/satisfaction/{token}`,
      rawPath: `/service-desk/satisfaction/${token}`,
      rawQueryString: o.query ?? '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      pathParameters: { token },
      requestContext: { http: { method } },
      ...(o.body !== undefined ? { body: o.body, isBase64Encoded: false } : {}),
      isBase64Encoded: false,
    }) as unknown as HttpApiEvent;
  const tokenOf = (text: string, rating = 'good') =>
    new RegExp(`/satisfaction/([A-Za-z0-9_.-]+)\\?rating=${rating}`).exec(text)![1]!;

  it('mails the requester on close through the webhook (opt-in), with a signing key made once in the parameter store', async () => {
    const { h, params, deps } = await setup();
    const body = JSON.stringify({
      action: 'closed',
      issue: { number: 1 },
      repository: { full_name: 'acme/support-tickets' },
    });
    const onClosed = (repo: string, n: number) =>
      sendSatisfactionSurvey({ ...deps, mailer: h.mailer }, repo, n);
    const r = await handleWebhook(signed(body, 'd-1', 'issues'), WEBHOOK_SECRET, h.desk, h.log, { onClosed });
    expect(r.status).toBe(200);
    const survey = h.mailer.sent.at(-1)!;
    expect(survey.to).toEqual(['alice@example.com']);
    expect(survey.subject).toBe('How did we do? Help (#1)');
    expect(survey.headers?.['Auto-Submitted']).toBe('auto-generated');
    for (const rating of ['good', 'neutral', 'bad']) expect(survey.text).toContain(`?rating=${rating}`);
    const key = await params.get(surveyKeyParam(KEY_PREFIX));
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await params.isSecure(surveyKeyParam(KEY_PREFIX))).toBe(true);
    expect(survey.text).not.toContain(key!);
    expect(survey.text).not.toContain('alice@example.com');
    // A redelivered `closed` webhook sends no second survey for the same closing.
    const sent = h.mailer.sent.length;
    expect(await sendSatisfactionSurvey({ ...deps, mailer: h.mailer }, 'acme/support-tickets', 1)).toBe(0);
    expect(h.mailer.sent).toHaveLength(sent);
    // Reopened and closed again: asked again, with the same key.
    await h.tickets.close('acme/support-tickets', 1);
    expect(await sendSatisfactionSurvey({ ...deps, mailer: h.mailer }, 'acme/support-tickets', 1)).toBe(1);
    expect(h.mailer.sent).toHaveLength(sent + 1);
    expect(await params.get(surveyKeyParam(KEY_PREFIX))).toBe(key);
  });

  it('sends nothing when the project did not opt in, or the requester unsubscribed', async () => {
    const off = await setup({});
    expect(
      await sendSatisfactionSurvey({ ...off.deps, mailer: off.h.mailer }, 'acme/support-tickets', 1),
    ).toBe(0);
    const on = await setup();
    await on.h.desk.unsubscribe(/\+([0-9a-f]{32})@/.exec(on.h.mailer.sent[0]!.replyTo!)![1]!);
    expect(await sendSatisfactionSurvey({ ...on.deps, mailer: on.h.mailer }, 'acme/support-tickets', 1)).toBe(
      0,
    );
    expect(() => parse({}, { satisfaction: 'yes' })).toThrow(/satisfaction must be true or false/);
    expect(() => parse({ satisfaction: { expiryDays: 31 } })).toThrow(
      /expiryDays must be a whole number of days from 1 to 30/,
    );
  });

  it('GET only shows the confirmation page; POST records the rating once as a label and a comment', async () => {
    const { h, deps } = await setup();
    await sendSatisfactionSurvey({ ...deps, mailer: h.mailer }, 'acme/support-tickets', 1);
    const token = tokenOf(h.mailer.sent.at(-1)!.text, 'bad');
    const issue = h.tickets.issues[0]!;
    const before = issue.comments.length;
    for (let i = 0; i < 3; i++) {
      const page = await serveSatisfaction(event('GET', token, { query: 'rating=bad' }), deps);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<meta name="robots" content="noindex">');
      expect(page.body).toContain('value="bad" checked');
      expect(page.body).toContain('<form method="post"');
      expect(page.headers['cache-control']).toBe('no-store');
    }
    expect(issue.labels).toEqual(['service-desk']);
    expect(issue.comments).toHaveLength(before);
    const post = await serveSatisfaction(
      event('POST', token, { body: 'rating=bad&comment=%40octocat+took+too+long' }),
      deps,
    );
    expect(post.statusCode).toBe(200);
    expect(issue.labels).toContain('satisfaction:bad');
    expect(issue.comments.at(-1)).toContain('**Satisfaction rating** from alice@example.com: **Bad**');
    expect(issue.comments.at(-1)).toContain('> @\u200boctocat took too long');
    // Reused: refused on POST and GET, nothing more recorded.
    const again = await serveSatisfaction(event('POST', token, { body: 'rating=good' }), deps);
    expect(again.statusCode).toBe(410);
    expect((await serveSatisfaction(event('GET', token), deps)).statusCode).toBe(410);
    expect(issue.labels).not.toContain('satisfaction:good');
    expect(issue.comments.filter((c) => c.startsWith('**Satisfaction rating**'))).toHaveLength(1);
  });

  it('refuses a forged, tampered, malformed or expired link and records nothing', async () => {
    const { h, deps, params } = await setup({ satisfaction: true }, { satisfaction: { expiryDays: 1 } });
    await sendSatisfactionSurvey({ ...deps, mailer: h.mailer }, 'acme/support-tickets', 1);
    const token = tokenOf(h.mailer.sent.at(-1)!.text);
    const key = (await params.get(surveyKeyParam(KEY_PREFIX)))!;
    const claims = (verifySurvey(key, token, deps.now()) as { claims: Parameters<typeof signSurvey>[1] })
      .claims;
    const forged = signSurvey('another-key-another-key-another-key', claims);
    const tampered = `${Buffer.from(JSON.stringify({ ...claims, n: 2 })).toString('base64url')}.${token.split('.')[1]}`;
    for (const t of [forged, tampered, 'x.y', `${token}A`]) {
      const r = await serveSatisfaction(event('POST', t, { body: 'rating=good' }), deps);
      expect({ t, status: r.statusCode }).toEqual({ t, status: 404 });
    }
    expect(verifySurvey(key, forged, deps.now())).toEqual({ ok: false, reason: 'bad-signature' });
    h.advance(24 * 3600_000 + 1000);
    const expired = await serveSatisfaction(event('POST', token, { body: 'rating=good' }), deps);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('expired');
    expect(h.tickets.issues[0]!.labels).toEqual(['service-desk']);
    // A rating outside the three is refused with the form again.
    h.advance(-(24 * 3600_000 + 1000));
    const bad = await serveSatisfaction(event('POST', token, { body: 'rating=excellent' }), deps);
    expect(bad.statusCode).toBe(400);
    expect(h.tickets.issues[0]!.labels).toEqual(['service-desk']);
  });

  it('takes no rating once the project turned the survey off (GET and POST alike)', async () => {
    const { h, deps } = await setup();
    await sendSatisfactionSurvey({ ...deps, mailer: h.mailer }, 'acme/support-tickets', 1);
    const token = tokenOf(h.mailer.sent.at(-1)!.text);
    const off = { ...deps, config: deskConfig() };
    expect((await serveSatisfaction(event('GET', token), off)).statusCode).toBe(404);
    expect((await serveSatisfaction(event('POST', token, { body: 'rating=good' }), off)).statusCode).toBe(
      404,
    );
    expect(h.tickets.issues[0]!.labels).toEqual(['service-desk']);
  });

  it('gives the link back when GHES fails, so the customer can try again', async () => {
    const { h, deps } = await setup();
    await sendSatisfactionSurvey({ ...deps, mailer: h.mailer }, 'acme/support-tickets', 1);
    const token = tokenOf(h.mailer.sent.at(-1)!.text);
    const addLabels = h.tickets.addLabels.bind(h.tickets);
    h.tickets.addLabels = async () => {
      throw new Error('GHES API answered 502');
    };
    expect((await serveSatisfaction(event('POST', token, { body: 'rating=good' }), deps)).statusCode).toBe(
      503,
    );
    h.tickets.addLabels = addLabels;
    expect((await serveSatisfaction(event('POST', token, { body: 'rating=good' }), deps)).statusCode).toBe(
      200,
    );
    expect(h.tickets.issues[0]!.labels).toContain('satisfaction:good');
  });
});

describe('RestTicketRepository: the calls aliases and the SLA check make', () => {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const recorder = (answers: Response[]) => {
    const calls: { url: string; method: string; body: string }[] = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      calls.push({
        url: String(url),
        method: String(init.method),
        body: typeof init.body === 'string' ? init.body : '',
      });
      return answers.shift()!;
    }) as unknown as typeof fetch;
    return {
      calls,
      repo: new RestTicketRepository('https://ghes.example/api/v3', async () => 'tok', fetchFn),
    };
  };
  const issue = (n: number, extra: Record<string, unknown> = {}) => ({
    id: 1000 + n,
    number: n,
    title: `t${n}`,
    state: 'open',
    html_url: `https://ghes.example/acme/s/issues/${n}`,
    labels: [{ name: 'service-desk' }],
    assignees: [],
    created_at: '2026-01-01T00:00:00Z',
    ...extra,
  });

  it('adds assignees with one POST, and none for an empty list', async () => {
    const { calls, repo } = recorder([json(201, issue(5))]);
    await repo.addAssignees('acme/s', 5, []);
    await repo.addAssignees('acme/s', 5, ['mona', 'hubot']);
    expect(calls).toEqual([
      {
        url: 'https://ghes.example/api/v3/repos/acme/s/issues/5/assignees',
        method: 'POST',
        body: JSON.stringify({ assignees: ['mona', 'hubot'] }),
      },
    ]);
  });

  it('lists open labelled issues page by page, leaving out pull requests and issues without the label', async () => {
    const page1 = Array.from({ length: 100 }, (_, i) => issue(i + 1));
    const page2 = [issue(101, { pull_request: { url: 'x' } }), issue(102, { labels: [] }), issue(103)];
    const { calls, repo } = recorder([json(200, page1), json(200, page2)]);
    const open = await repo.listOpen('acme/s', 'service-desk');
    expect(open.map((t) => t.number)).toEqual([...page1.map((i) => i.number), 103]);
    expect(open[0]!.createdAt).toBe('2026-01-01T00:00:00Z');
    expect(calls.map((c) => c.url)).toEqual([
      'https://ghes.example/api/v3/repos/acme/s/issues?state=open&labels=service-desk&sort=created&direction=asc&per_page=100&page=1',
      'https://ghes.example/api/v3/repos/acme/s/issues?state=open&labels=service-desk&sort=created&direction=asc&per_page=100&page=2',
    ]);
  });

  it('lists comments oldest first with author and bot flag', async () => {
    const { calls, repo } = recorder([
      json(200, [
        {
          id: 2,
          body: '/reply b',
          user: { login: 'mona', type: 'User' },
          created_at: '2026-01-01T00:02:00Z',
        },
        { id: 1, body: 'a', user: { login: 'desk[bot]', type: 'Bot' }, created_at: '2026-01-01T00:01:00Z' },
      ]),
    ]);
    expect(await repo.listComments('acme/s', 7)).toEqual([
      { id: 1, body: 'a', author: 'desk[bot]', bot: true, createdAt: '2026-01-01T00:01:00Z' },
      { id: 2, body: '/reply b', author: 'mona', bot: false, createdAt: '2026-01-01T00:02:00Z' },
    ]);
    expect(calls[0]!.url).toBe(
      'https://ghes.example/api/v3/repos/acme/s/issues/7/comments?per_page=100&page=1',
    );
  });
});
