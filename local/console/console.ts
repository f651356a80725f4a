import { causeMessage } from '../../shared/errors.js';
import { decide, isApprovalWorkflow } from '../../shared/approval/gate.js';
import { WORKFLOWS, workflow } from '../../shared/workflows.js';
import { deskFromDeps } from '../../shared/service-desk/desk-factory.js';
import type { Outcome } from '../../shared/service-desk/desk.js';
import { readDefinition } from '../engine/definition-loader.js';
import { recordedExecutions } from '../engine/execution-records.js';
import type { HttpRequest, HttpResponse, LocalHttpServer } from '../http-server.js';
import { SANDBOX_TICKETS_REPO, type LocalServiceDesk } from '../service-desk.js';
import { SCENARIOS } from '../sandbox/scenarios.js';
import type { LocalWorld } from '../world.js';
import {
  executionView,
  findExecution,
  listExecutionViews,
  type ExecutionDetail,
} from '../views/executions.js';
import { graphSvg } from '../views/graph.js';
import { listOutbox, outboxMail, type OutboxSource } from '../views/outbox.js';
import { InboundLog, ticketViews, type TicketView } from '../views/desk.js';
import { resetSandboxWorld, sandboxView } from '../views/sandbox.js';
import { ConsoleAuth, type Caller } from './auth.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { badge, consolePage, CONSOLE_HEADERS, e, json, postForm, redirect } from './html.js';
import { FormInputError, inputFromForm, workflowFields } from './workflow-form.js';

/**
 * The local console: what the Step Functions, SES and GitHub consoles show in AWS, for the local
 * stack, served by `npm start` on its loopback HTTP server under `/console/`. Server-rendered
 * pages (local/console/html.ts) over the views every CLI command uses too (local/views/), a
 * little script that refreshes the live parts, and a JSON twin of each view under `/console/api/`
 * for the CLI. Every route needs the console token (local/console/auth.ts); every POST with the
 * cookie needs the CSRF token and this server's Origin. Actions call what the other triggers call:
 * the engine (start, stop), the approval decision (shared/failover/approval.ts), the desk's replay,
 * and the sandbox GHES's REST API for an agent's reply (whose webhook runs the desk's handler).
 */
export interface ConsoleOptions {
  world: LocalWorld;
  desk?: LocalServiceDesk;
  auth: ConsoleAuth;
  /** The login a reply from the console is posted as on the sandbox GHES (default `support-agent`). */
  agent?: string;
}

export interface Console {
  auth: ConsoleAuth;
  inbound: InboundLog;
  /** The URL that logs a browser in (`<base>/console/login?token=...`). */
  loginUrl(base: string): string;
  close(): void;
}

const FLASH: Record<string, string> = {
  started: 'Execution started.',
  approved: 'Approved: the execution goes on.',
  switched: 'Traffic switch confirmed: the failover checks /status on the hostname, then verifies.',
  notSwitched:
    'Traffic switch reported as not possible: the failover ends loudly (promoted, traffic not switched).',
  rejected: 'Rejected: the failover ends without changing anything.',
  stopped: 'Stop requested: the execution ends as on StopExecution (its cleanup runs).',
  replied: 'Reply posted as a /reply comment: the desk mails it to the participants.',
  replayed: 'Replay started.',
  scenario: 'Scenario switched.',
  reset: 'Sandbox reset: primary and replica rebuilt, replication set up again.',
};

type Handler = (
  req: HttpRequest,
  caller: Caller,
  form: URLSearchParams,
) => Promise<HttpResponse> | HttpResponse;

export function mountConsole(server: LocalHttpServer, o: ConsoleOptions): Console {
  const { world, desk, auth } = o;
  const inbound = new InboundLog();
  const ses = world.triggers.ses;
  const stopListening = ses
    ? world.invoker.listen({
        onResult: (key, result) => {
          if (key === ses.functionKey && Array.isArray(result))
            for (const out of result as unknown as Outcome[]) inbound.add(out, Date.now());
        },
        onFailure: (key) => {
          if (key === ses.functionKey)
            inbound.add({ action: 'dropped', reason: 'delivery-failed-kept-in-spool' }, Date.now());
        },
      })
    : () => undefined;
  const outboxSource = (): OutboxSource =>
    world.outbox
      ? world.inMemory
        ? { sent: world.outbox.sent }
        : { dir: `${world.config.local.stateDir}/outbox` }
      : {};
  const deskRepos = (): string[] => [
    ...new Set([SANDBOX_TICKETS_REPO, ...(world.config.serviceDesk?.desk.projects.map((p) => p.repo) ?? [])]),
  ];
  const tickets = async (): Promise<TicketView[]> =>
    desk
      ? ticketViews({ issues: desk.issues, store: deskFromDeps(world.deps).store, repos: deskRepos() })
      : [];
  const flashOf = (req: HttpRequest): string | undefined => FLASH[req.query.get('flash') ?? ''];

  const guard =
    (handler: Handler, change = false) =>
    async (req: HttpRequest): Promise<HttpResponse> => {
      const caller = auth.caller(req);
      if (!caller)
        return {
          status: 401,
          headers: { ...CONSOLE_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
          body: 'The console needs its token: open the console URL npm start printed (console: ...).\n',
        };
      const form = new URLSearchParams(
        (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? req.body : '',
      );
      if (change && !auth.mayChange(req, caller, form))
        return {
          status: 403,
          headers: { ...CONSOLE_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
          body: 'Refused: a console form must come from this console (CSRF token and Origin).\n',
        };
      try {
        return await handler(req, caller, form);
      } catch (error) {
        const err = error as Error;
        const status =
          err.name === 'FormInputError' ||
          err.name === 'InvalidName' ||
          err.name === 'ConfigError' ||
          err.name === 'ApprovalNotFound'
            ? 400
            : err.name === 'ExecutionAlreadyExists'
              ? 409
              : 500;
        return consolePage(
          'Not done',
          `<p><a href="/console/">Back to the console</a></p>`,
          { error: `${err.name}: ${err.message}` },
          status,
        );
      }
    };
  const get = (path: string, h: Handler): void => void server.route('GET', path, guard(h));
  const post = (path: string, h: Handler): void => void server.route('POST', path, guard(h, true));
  const apiJson = (body: unknown, status = 200): HttpResponse => ({
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
    body: JSON.stringify(body, null, 2) + '\n',
  });

  // --- login and assets (the login route checks the token itself) --------------------------------
  server.route('GET', '/console/login', (req) => {
    const probe = {
      ...req,
      headers: { ...req.headers, authorization: `Bearer ${req.query.get('token') ?? ''}` },
    };
    if (!auth.caller(probe))
      return {
        status: 401,
        headers: { ...CONSOLE_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
        body: 'Wrong or missing console token.\n',
      };
    return {
      status: 303,
      headers: { ...CONSOLE_HEADERS, location: '/console/', 'set-cookie': auth.loginCookie() },
      body: '',
    };
  });
  get('/console/assets/console.css', () => ({
    status: 200,
    headers: {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    },
    body: CONSOLE_CSS,
  }));
  get('/console/assets/console.js', () => ({
    status: 200,
    headers: {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    },
    body: CONSOLE_JS,
  }));

  // --- workflows ---------------------------------------------------------------------------------
  // `/console/` (the pattern also matches `/console`).
  get('/console/', (req) =>
    consolePage(
      'Workflows',
      WORKFLOWS.map(
        (w) =>
          `<section class="card" id="wf-${e(w.key)}"><h2>${e(w.title)} <code>${e(w.key)}</code></h2><p>${e(w.description)}</p>` +
          `<details${req.query.get('open') === w.key ? ' open' : ''}><summary>Start ${e(w.key)}</summary>` +
          postForm(`/console/workflows/${w.key}`, auth.csrf, workflowFields(w), `Start ${w.key}`, {
            cls: 'primary',
            id: `start-${w.key}`,
          }) +
          `</details></section>`,
      ).join(''),
      { ...(flashOf(req) ? { flash: flashOf(req)! } : {}) },
    ),
  );
  post('/console/workflows/:workflow', async (req, _caller, form) => {
    const w = workflow(req.params.workflow ?? '');
    if (!w) return consolePage('No such workflow', '', {}, 404);
    const input = inputFromForm(w, form);
    const name = (form.get('name') ?? '').trim();
    const started = await world.engine.startExecution(w.key, input, name || undefined);
    return redirect(
      `/console/executions/${w.key}/${encodeURIComponent(started.executionArn.split(':').pop()!)}?flash=started`,
    );
  });

  // Every execution: the stack's own and those on record (ghes-ops run, earlier runs).
  const store = recordedExecutions(world.engine, world.records);
  // --- executions --------------------------------------------------------------------------------
  get('/console/executions', () => {
    const list = listExecutionViews(store);
    const rows = list
      .map(
        (x) =>
          `<tr><td><a href="/console/executions/${e(x.workflow)}/${e(x.name)}">${e(x.workflow)}/${e(x.name)}</a></td><td>${badge(x.status)}${x.waitingForApproval ? ' <strong>waiting for approval</strong>' : ''}</td>` +
          `<td>${e(x.currentState ?? '')}</td><td>${e(x.startedAt ?? '')}</td><td class="muted">${e(x.startDate)}</td><td>${e(x.error ?? '')}</td></tr>`,
      )
      .join('');
    return consolePage(
      'Executions',
      `<div id="executions" data-live><table><thead><tr><th>execution</th><th>status</th><th>state</th><th>started</th><th>workflow time</th><th>error</th></tr></thead><tbody>${rows || '<tr><td colspan="6" class="muted">No executions yet: start one from Workflows, the CLI, a schedule or a mail.</td></tr>'}</tbody></table></div>`,
      { live: true },
    );
  });
  get('/console/executions/:workflow/:name', async (req) => {
    const d = executionView(store, req.params.workflow!, req.params.name!);
    if (!d)
      return consolePage('No such execution', '<p><a href="/console/executions">Executions</a></p>', {}, 404);
    const definition = await readDefinition(world.engine.root, d.workflow);
    const flash = flashOf(req);
    return consolePage(`${d.workflow} / ${d.name}`, executionPage(d, definition, auth.csrf), {
      live: d.status === 'RUNNING',
      status: d.status,
      ...(flash ? { flash } : {}),
    });
  });
  const execution = (req: HttpRequest) => {
    const d = findExecution(world.engine, req.params.workflow!, req.params.name!);
    if (!d) throw Object.assign(new Error('No such execution.'), { name: 'ExecutionDoesNotExist' });
    return d;
  };
  const back = (req: HttpRequest, flash: string): HttpResponse =>
    redirect(
      `/console/executions/${encodeURIComponent(req.params.workflow!)}/${encodeURIComponent(req.params.name!)}?flash=${flash}`,
    );
  post('/console/executions/:workflow/:name/stop', (req) => {
    const d = execution(req);
    void world.engine
      .stopExecution(d.executionArn, 'StoppedFromConsole', 'Stopped from the local console')
      .catch((error: Error) =>
        world.deps.log.error('console: stopping the execution failed', {
          error: error.name,
          detail: error.message,
        }),
      );
    return back(req, 'stopped');
  });
  // An approval (approve/reject) or a manual traffic switch (switched/failed): the same gate as
  // the link in the email and `ghes-ops approve|reject|confirm-traffic`.
  for (const kind of ['approval', 'confirmation'] as const)
    post(
      `/console/executions/:workflow/:name/${kind === 'approval' ? 'approval' : 'traffic'}`,
      async (req, _caller, form) => {
        const d = execution(req);
        const workflow = d.stateMachine;
        if (!isApprovalWorkflow(workflow)) throw new FormInputError(`${workflow} has no operator wait`);
        const decision = form.get('decision');
        if (decision !== 'approve' && decision !== 'reject')
          throw new FormInputError('decision must be approve or reject');
        const reason = (form.get('reason') ?? '').trim();
        await decide(
          {
            workflow,
            executionName: d.name,
            decision,
            by: (form.get('by') ?? '').trim() || 'local console',
            ...(reason ? { reason } : {}),
            via: 'cli',
            expect: kind,
          },
          world.deps,
          { trusted: true },
        );
        return back(
          req,
          kind === 'approval'
            ? decision === 'approve'
              ? 'approved'
              : 'rejected'
            : decision === 'approve'
              ? 'switched'
              : 'notSwitched',
        );
      },
    );

  // --- outbox ------------------------------------------------------------------------------------
  get('/console/outbox', async () => {
    const items = await listOutbox(outboxSource());
    const rows = items
      .map(
        (m) =>
          `<tr><td>${e(m.date)}</td><td>${e(m.to.join(', '))}</td><td><a href="/console/outbox/${e(m.id)}">${e(m.subject || '(no subject)')}</a></td><td>${e(m.from)}</td></tr>`,
      )
      .join('');
    return consolePage(
      'Outbox',
      `<p class="muted">Every mail the stack sent (${world.inMemory ? 'in memory' : e(`${world.config.local.stateDir}/outbox`)}).</p>` +
        `<div id="outbox" data-live><table><thead><tr><th>date</th><th>to</th><th>subject</th><th>from</th></tr></thead><tbody>${rows || '<tr><td colspan="4" class="muted">No mail sent yet.</td></tr>'}</tbody></table></div>`,
      { live: true },
    );
  });
  get('/console/outbox/:id', async (req) => {
    const m = await outboxMail(outboxSource(), req.params.id!);
    if (!m) return consolePage('No such mail', '', {}, 404);
    return consolePage(
      m.subject || '(no subject)',
      `<table><tbody><tr><th>from</th><td>${e(m.from)}</td></tr><tr><th>to</th><td>${e(m.to.join(', '))}</td></tr>${m.cc.length ? `<tr><th>cc</th><td>${e(m.cc.join(', '))}</td></tr>` : ''}<tr><th>date</th><td>${e(m.date)}</td></tr></tbody></table>` +
        (m.html
          ? `<h2>HTML</h2><iframe class="mail" sandbox src="/console/outbox/${e(m.id)}/html" title="the mail as HTML"></iframe>`
          : '') +
        `<h2>Text</h2><pre id="mail-text">${e(m.text)}</pre>` +
        `<h2>Headers</h2><table><tbody>${m.headers.map((h) => `<tr><th>${e(h.key)}</th><td><code>${e(h.value)}</code></td></tr>`).join('')}</tbody></table>` +
        `<h2>Raw</h2>${m.raw !== undefined ? `<p><a href="/console/outbox/${e(m.id)}/raw">download .eml</a></p><pre>${e(m.raw)}</pre>` : '<p class="muted">An in-memory outbox keeps no raw message.</p>'}`,
    );
  });
  get('/console/outbox/:id/html', async (req) => {
    const m = await outboxMail(outboxSource(), req.params.id!);
    if (!m?.html) return { status: 404, body: 'no HTML part\n' };
    return {
      status: 200,
      headers: {
        ...CONSOLE_HEADERS,
        // The mail's HTML, in the console's sandboxed frame: no script, no remote content.
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox",
        'x-frame-options': 'SAMEORIGIN',
      },
      body: m.html,
    };
  });
  get('/console/outbox/:id/raw', async (req) => {
    const m = await outboxMail(outboxSource(), req.params.id!);
    if (m?.raw === undefined) return { status: 404, body: 'no raw message\n' };
    return {
      status: 200,
      headers: {
        'content-type': 'message/rfc822',
        'content-disposition': `attachment; filename="${m.id}.eml"`,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
      body: m.raw,
    };
  });

  // --- service desk ------------------------------------------------------------------------------
  get('/console/desk', async (req) => {
    if (!desk)
      return consolePage(
        'Service desk',
        '<p>The service desk runs on the sandbox only (appliance.runner "sandbox").</p>',
      );
    const list = await tickets();
    const spools = await desk.spools();
    const flash = flashOf(req);
    const ticketRows = list
      .map(
        (t) =>
          `<tr><td><a href="/console/desk/tickets/${e(t.repo)}/${t.number}">${e(t.repo)}#${t.number}</a></td><td>${e(t.title)}</td><td>${e(t.state)}</td>` +
          `<td>${e(t.labels.join(', '))}</td><td>${e(t.participants.map((p) => p.address).join(', '))}</td><td>${t.comments.length}</td>` +
          // --- SLA (deskb): the "time to breach" column, when ticketViews fills `sla`.
          `<td>${t.sla ? e(t.sla.breached ? 'breached' : (t.sla.remaining ?? '')) : ''}</td></tr>`,
      )
      .join('');
    const inboundRows = inbound
      .list()
      .map(
        (i) =>
          `<tr><td>${e(i.receivedAt)}</td><td>${e(i.action)}</td><td>${e(i.reason ?? '')}</td><td>${e(i.ticket ?? '')}</td><td>${e(i.summary)}${i.detail ? ` <span class="muted">${e(i.detail)}</span>` : ''}</td></tr>`,
      )
      .join('');
    const failedRows = spools.failed
      .map(
        (f) =>
          `<tr><td><code>${e(f.requestId)}</code></td><td>${e(f.messageIds.join(', '))}</td><td>${e(f.error)}</td><td>${postForm('/console/desk/replay', auth.csrf, `<input type="hidden" name="failed" value="true"><input type="hidden" name="id" value="${e(f.requestId)}">`, 'Replay', { inline: true })}</td></tr>`,
      )
      .join('');
    const heldRows = spools.held
      .map(
        (h) =>
          `<tr><td><code>${e(h.messageId)}</code></td><td><code>${e(h.messageKey)}</code></td><td>${postForm('/console/desk/replay', auth.csrf, `<input type="hidden" name="held" value="true"><input type="hidden" name="id" value="${e(h.messageId)}">`, 'Release', { inline: true })}</td></tr>`,
      )
      .join('');
    return consolePage(
      'Service desk',
      `<div id="desk" data-live>` +
        `<h2>Tickets</h2><table id="tickets"><thead><tr><th>ticket</th><th>title</th><th>state</th><th>labels</th><th>participants</th><th>comments</th><th>SLA</th></tr></thead><tbody>${ticketRows || '<tr><td colspan="7" class="muted">No tickets yet: mail the desk (see the addresses npm start printed).</td></tr>'}</tbody></table>` +
        `<h2>Inbound mail</h2><p class="muted">Since this start: what became of each message (counts: ${e(
          Object.entries(spools.counts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none',
        )}).</p>` +
        `<table id="inbound"><thead><tr><th>received</th><th>outcome</th><th>reason</th><th>ticket</th><th>detail</th></tr></thead><tbody>${inboundRows || '<tr><td colspan="5" class="muted">No mail since this start.</td></tr>'}</tbody></table>` +
        `<h2>Spools</h2><p>${spools.incoming.length} accepted, not yet handled.</p>` +
        `<h3>Failed (after the retries)</h3><table><thead><tr><th>request</th><th>messages</th><th>error</th><th></th></tr></thead><tbody>${failedRows || '<tr><td colspan="4" class="muted">none</td></tr>'}</tbody></table>` +
        (spools.failed.length
          ? postForm(
              '/console/desk/replay',
              auth.csrf,
              '<input type="hidden" name="failed" value="true">',
              'Replay all failed',
            )
          : '') +
        `<h3>Held (sender burst limit)</h3><table><thead><tr><th>message</th><th>key</th><th></th></tr></thead><tbody>${heldRows || '<tr><td colspan="3" class="muted">none</td></tr>'}</tbody></table>` +
        `</div>`,
      { live: true, ...(flash ? { flash } : {}) },
    );
  });
  get('/console/desk/tickets/:owner/:repo/:number', async (req) => {
    const full = `${req.params.owner}/${req.params.repo}`;
    const t = (await tickets()).find(
      (x) => x.repo.toLowerCase() === full.toLowerCase() && x.number === Number(req.params.number),
    );
    if (!t) return consolePage('No such ticket', '', {}, 404);
    const flash = flashOf(req);
    return consolePage(
      `${t.repo}#${t.number}: ${t.title}`,
      `<div id="ticket" data-live><p>${e(t.state)} · labels ${e(t.labels.join(', ') || '-')} · assignees ${e(t.assignees.join(', ') || '-')} · opened ${e(t.createdAt)}${t.sla ? ` · SLA ${e(t.sla.breached ? 'breached' : (t.sla.remaining ?? ''))}` : ''}</p>` +
        `<h2>Participants</h2><ul>${t.participants.map((p) => `<li>${e(p.name ? `${p.name} <${p.address}>` : p.address)}${p.unsubscribed ? ' (unsubscribed)' : ''}</li>`).join('') || '<li class="muted">none recorded</li>'}</ul>` +
        `<h2>Description</h2><pre>${e(t.body)}</pre>` +
        `<h2>Comments</h2>${t.comments.map((c) => `<div class="card comment"><div class="muted">${e(c.user)} · ${e(c.createdAt)}</div><pre>${e(c.body)}</pre></div>`).join('') || '<p class="muted">none</p>'}</div>` +
        `<h2>Reply as an agent</h2><p class="muted">Posted on the sandbox GHES as <code>${e(o.agent ?? 'support-agent')}</code> with <code>/reply</code>: its webhook runs the desk, which mails the participants. A comment without /reply stays internal.</p>` +
        postForm(
          `/console/desk/tickets/${t.repo}/${t.number}/reply`,
          auth.csrf,
          `<label for="reply">reply</label><textarea id="reply" name="body" rows="4" required></textarea><label><input type="checkbox" name="internal" value="1"> internal note (no /reply: not mailed)</label>`,
          'Post',
          { cls: 'primary', id: 'reply-form' },
        ),
      { live: true, ...(flash ? { flash } : {}) },
    );
  });
  post('/console/desk/tickets/:owner/:repo/:number/reply', async (req, _caller, form) => {
    if (!desk) throw new FormInputError('no service desk on this stack');
    const text = (form.get('body') ?? '').trim();
    if (!text) throw new FormInputError('the reply is empty');
    const body = form.get('internal') ? text : `/reply ${text}`;
    const token = desk.ghes.issueToken(o.agent ?? 'support-agent', ['repo']);
    try {
      const res = await fetch(
        `${desk.ghes.apiUrl}/repos/${encodeURIComponent(req.params.owner!)}/${encodeURIComponent(req.params.repo!)}/issues/${Number(req.params.number)}/comments`,
        {
          method: 'POST',
          headers: {
            authorization: `token ${token}`,
            'content-type': 'application/json',
            accept: 'application/vnd.github+json',
          },
          body: JSON.stringify({ body }),
        },
      );
      if (res.status !== 201) throw new Error(`the sandbox GHES answered ${res.status}: ${await res.text()}`);
    } finally {
      desk.ghes.revokeToken(token);
    }
    return redirect(
      `/console/desk/tickets/${req.params.owner}/${req.params.repo}/${Number(req.params.number)}?flash=replied`,
    );
  });
  post('/console/desk/replay', async (_req, _caller, form) => {
    if (!desk) throw new FormInputError('no service desk on this stack');
    const id = form.get('id');
    void desk
      .replay({
        failed: form.get('failed') === 'true',
        held: form.get('held') === 'true',
        ...(id ? { ids: [id] } : {}),
      })
      .catch((error: Error) =>
        world.deps.log.error('console: replay failed', { error: error.name, detail: error.message }),
      );
    return redirect('/console/desk?flash=replayed');
  });

  // --- sandbox -----------------------------------------------------------------------------------
  get('/console/sandbox', (req) => {
    const v = sandboxView(world);
    const flash = flashOf(req);
    if (!v)
      return consolePage(
        'Sandbox',
        `<p>This stack runs against a real appliance (${e(world.config.appliance.runner)}), not the sandbox.</p>`,
      );
    return consolePage(
      'Sandbox',
      `<div id="sandbox" data-live><p>Scenario <strong id="scenario">${e(v.scenario)}</strong>; workflow time ${e(v.now)}${v.splitBrain ? ' · <strong>split brain</strong>' : ''}.</p>` +
        `<table id="appliances"><thead><tr><th>appliance</th><th>role</th><th>up</th><th>maintenance</th><th>replication</th><th>version</th><th>busy</th></tr></thead><tbody>${v.appliances
          .map(
            (a) =>
              `<tr><td>${e(a.name)}</td><td>${e(a.role)}</td><td>${a.up ? 'up' : 'DOWN'}</td><td>${a.maintenance ? 'on' : 'off'}</td><td>${e(a.replication)}</td><td>${e(a.version)}</td><td>${e(a.busy.join(', '))}</td></tr>`,
          )
          .join('')}</tbody></table>` +
        (v.traffic ? `<p>Traffic: ${e(v.traffic)}</p>` : '') +
        `</div>` +
        `<h2>Scenario</h2>` +
        postForm(
          '/console/sandbox/scenario',
          auth.csrf,
          `<select name="scenario" id="scenario-select">${Object.entries(SCENARIOS)
            .map(
              ([name, d]) =>
                `<option value="${e(name)}"${name === v.scenario ? ' selected' : ''}>${e(name)}: ${e(d)}</option>`,
            )
            .join('')}</select>`,
          'Switch and reset',
        ) +
        `<h2>Reset</h2><p class="muted">Rebuilds the appliances as after <code>ghe-repl-setup</code> and <code>ghe-repl-start</code> on a fresh replica (a new primary and replica pair, DNS and load balancer back on the primary), and forgets the failover lock and the last failover, so a demo can be repeated. Running executions keep running.</p>` +
        postForm('/console/sandbox/reset', auth.csrf, '', 'Reset the sandbox', {
          cls: 'danger',
          id: 'reset-form',
        }),
      { live: true, ...(flash ? { flash } : {}) },
    );
  });
  post('/console/sandbox/scenario', async (_req, _caller, form) => {
    const scenario = form.get('scenario') ?? '';
    if (!Object.hasOwn(SCENARIOS, scenario)) throw new FormInputError(`unknown scenario ${scenario}`);
    await resetSandboxWorld(world, scenario);
    return redirect('/console/sandbox?flash=scenario');
  });
  post('/console/sandbox/reset', async () => {
    await resetSandboxWorld(world);
    return redirect('/console/sandbox?flash=reset');
  });

  // --- JSON for the CLI (bearer token) ----------------------------------------------------------
  get('/console/api/executions', () => apiJson(listExecutionViews(store)));
  get('/console/api/executions/:workflow/:name', (req) => {
    const d = executionView(store, req.params.workflow!, req.params.name!);
    return d ? apiJson(d) : apiJson({ error: 'no such execution' }, 404);
  });
  get('/console/api/desk/tickets', async () => apiJson(await tickets()));
  get('/console/api/desk/inbound', () => apiJson(inbound.list()));
  get('/console/api/outbox', async () => apiJson(await listOutbox(outboxSource())));
  get('/console/api/outbox/:id', async (req) => {
    const m = await outboxMail(outboxSource(), req.params.id!);
    return m ? apiJson(m) : apiJson({ error: 'no such mail' }, 404);
  });
  get('/console/api/sandbox', () => apiJson(sandboxView(world) ?? { error: 'not on the sandbox' }));

  return {
    auth,
    inbound,
    loginUrl: (base) => `${base}/console/login?token=${auth.token}`,
    close: stopListening,
  };
}

const LEGEND: [string, string][] = [
  ['not-run', 'not run'],
  ['running', 'running'],
  ['waiting', 'waiting'],
  ['retrying', 'retrying'],
  ['succeeded', 'succeeded'],
  ['caught', 'caught'],
  ['failed', 'failed'],
];

function executionPage(d: ExecutionDetail, definition: unknown, csrf: string): string {
  const status = Object.fromEntries(Object.values(d.states).map((s) => [s.name, s.status]));
  const actions: string[] = [];
  if (d.waitingForApproval)
    actions.push(
      `<section class="card" id="approval"><h2>Approval</h2><p>This ${e(d.workflow)} execution waits for a decision. Nothing irreversible happens until you decide (see the email for what is asked).</p>` +
        postForm(
          `/console/executions/${d.workflow}/${d.name}/approval`,
          csrf,
          `<label for="by">by</label><input type="text" id="by" name="by" value="local console"><label for="reason">reason (optional)</label><input type="text" id="reason" name="reason">` +
            `<input type="hidden" name="decision" value="approve">`,
          'Approve',
          { cls: 'primary', id: 'approve-form' },
        ) +
        postForm(
          `/console/executions/${d.workflow}/${d.name}/approval`,
          csrf,
          `<input type="hidden" name="decision" value="reject">`,
          'Reject',
          { cls: 'danger', id: 'reject-form' },
        ) +
        `</section>`,
    );
  if (d.waitingForTraffic)
    actions.push(
      `<section class="card" id="traffic"><h2>Traffic switch</h2><p>The replica is promoted. Change the record as the email says, then confirm here; the failover then waits for <code>/status</code> on the hostname to answer from the new primary.</p>` +
        postForm(
          `/console/executions/${d.workflow}/${d.name}/traffic`,
          csrf,
          `<label for="traffic-by">by</label><input type="text" id="traffic-by" name="by" value="local console">` +
            `<input type="hidden" name="decision" value="approve">`,
          'Traffic is switched',
          { cls: 'primary', id: 'traffic-switched-form' },
        ) +
        postForm(
          `/console/executions/${d.workflow}/${d.name}/traffic`,
          csrf,
          `<input type="hidden" name="decision" value="reject">`,
          'Cannot switch',
          { cls: 'danger', id: 'traffic-failed-form' },
        ) +
        `</section>`,
    );
  if (d.status === 'RUNNING')
    actions.push(
      postForm(`/console/executions/${d.workflow}/${d.name}/stop`, csrf, '', 'Stop execution', {
        cls: 'danger',
        id: 'stop-form',
      }),
    );
  const states = Object.values(d.states)
    .map(
      (s) =>
        `<details class="state-detail" data-state="${e(s.name)}"><summary><strong>${e(s.name)}</strong> ${e(s.type ?? '')} · ${e(s.status)}${s.entered > 1 ? ` · entered ${s.entered} times` : ''}${s.retries.length ? ` · ${s.retries.length} retr${s.retries.length === 1 ? 'y' : 'ies'}` : ''}${s.waitSeconds !== undefined ? ` · waits ${s.waitSeconds}s` : ''}${s.error ? ` · ${e(s.error)}` : ''}</summary>` +
        (s.retries.length
          ? `<p>Retries: ${s.retries.map((r) => `#${r.attempt ?? '?'} ${e(r.error ?? (r.errorEquals ?? []).join(', '))} at ${e(r.timestamp)}`).join('; ')}</p>`
          : '') +
        (s.cause ? `<p class="error">${e(s.cause)}</p>` : '') +
        `<div>input</div>${json(s.input)}${s.output !== undefined ? `<div>output</div>${json(s.output)}` : ''}</details>`,
    )
    .join('');
  const history = d.history
    .map(
      (h) =>
        `<tr><td>${h.id}</td><td>${e(h.timestamp)}</td><td>${e(h.type)}</td><td>${e(h.stateName ?? '')}</td><td>${e(
          [
            h.attempt !== undefined ? `attempt ${h.attempt}` : '',
            h.waitSeconds !== undefined ? `wait ${h.waitSeconds}s` : '',
            h.timeoutSeconds !== undefined ? `timeout ${h.timeoutSeconds}s` : '',
            h.functionKey ?? '',
            h.error ?? '',
            h.next ? `-> ${h.next}` : '',
          ]
            .filter(Boolean)
            .join(' · '),
        )}</td></tr>`,
    )
    .join('');
  return (
    `<div id="summary" data-live><p>${badge(d.status)} started ${d.startedAt ? `${e(d.startedAt)} <span class="muted">(workflow time ${e(d.startDate)})</span>` : `${e(d.startDate)} <span class="muted">(workflow time)</span>`}` +
    `${d.stopDate ? ` · ended ${e(d.stoppedAt ?? d.stopDate)}` : ''}${d.currentState ? ` · now in <strong>${e(d.currentState)}</strong>` : ''}</p>` +
    `${d.error ? `<p class="error">${e(d.error)}${d.cause ? `: ${e(causeMessage(d.cause))}` : ''}</p>` : ''}${actions.join('')}</div>` +
    `<div class="cols"><div><h2>Graph</h2><p class="legend">${LEGEND.map(([k, t]) => `<span><i class="lg-${k}"></i>${t}</span>`).join('')}</p>` +
    `<div class="graph-wrap" id="graph" data-live>${graphSvg(definition, status)}</div></div>` +
    `<div><h2>States</h2><div id="states" data-live>${states}</div>` +
    `<h2>Input</h2>${json(d.input)}<div id="output" data-live>${d.output !== undefined ? `<h2>Output</h2>${json(d.output)}` : ''}</div></div></div>` +
    `<h2>History</h2><div id="history" data-live><table><thead><tr><th>#</th><th>time (workflow)</th><th>event</th><th>state</th><th>detail</th></tr></thead><tbody>${history}</tbody></table></div>`
  );
}
