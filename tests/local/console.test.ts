/**
 * The local console over HTTP (no browser): the token and the cookie, CSRF, the JSON views the CLI
 * reads, starting, approving and stopping executions, the graph, replies through the sandbox
 * GHES's webhook, and the sandbox reset. The browser flows are in console-browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { smtpSend } from '../helpers/local-desk.js';
import { deskAddresses } from '../../local/service-desk.js';
import { consoleStack, type ConsoleStack } from '../helpers/local-console.js';
import { failoverInput } from '../helpers/failover.js';
import { graphSvg, layoutGraph } from '../../local/views/graph.js';
import { inputFromForm } from '../../local/console/workflow-form.js';
import { workflow } from '../../shared/workflows.js';
import type { ExecutionDetail, ExecutionSummary } from '../../local/views/executions.js';
import type { TicketView } from '../../local/views/desk.js';
import { ROOT } from '../helpers/local-world.js';

let s: ConsoleStack;
const deskAddress = (): string => deskAddresses(s.world.config.serviceDesk!.desk)[0]!;
let cookie: string;

beforeAll(async () => {
  s = await consoleStack({ timeScale: 0.01 });
  const login = await fetch(`${s.url}/console/login?token=${s.token}`, { redirect: 'manual' });
  expect(login.status).toBe(303);
  cookie = login.headers.get('set-cookie')!.split(';')[0]!;
}, 20_000);
afterAll(async () => s?.close());

const page = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${s.url}${path}`, { headers: { cookie, ...headers }, redirect: 'manual' });
const api = async <T>(path: string): Promise<T> =>
  (await (
    await fetch(`${s.url}/console/api${path}`, { headers: { authorization: `Bearer ${s.token}` } })
  ).json()) as T;
const csrf = async (): Promise<string> =>
  /name="csrf" value="([0-9a-f]+)"/.exec(await (await page('/console/')).text())![1]!;
const post = async (path: string, fields: Record<string, string>, o: { origin?: string | null } = {}) =>
  fetch(`${s.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie,
      'content-type': 'application/x-www-form-urlencoded',
      ...(o.origin === null ? {} : { origin: o.origin ?? s.url }),
    },
    body: new URLSearchParams(fields).toString(),
  });
async function until<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('console access', () => {
  it('needs the token: the login sets an HttpOnly SameSite=Strict cookie; without it every page and API is 401', async () => {
    const login = await fetch(`${s.url}/console/login?token=${s.token}`, { redirect: 'manual' });
    const set = login.headers.get('set-cookie')!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\/console/);
    expect(login.headers.get('location')).toBe('/console/');
    expect((await fetch(`${s.url}/console/login?token=wrong`, { redirect: 'manual' })).status).toBe(401);
    for (const path of [
      '/console/',
      '/console/executions',
      '/console/outbox',
      '/console/desk',
      '/console/sandbox',
      '/console/api/executions',
      '/console/assets/console.js',
    ])
      expect([path, (await fetch(`${s.url}${path}`)).status]).toEqual([path, 401]);
    expect(
      (await fetch(`${s.url}/console/api/executions`, { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
    expect((await fetch(`${s.url}/console/`, { headers: { cookie: 'ghes_ops_console=nope' } })).status).toBe(
      401,
    );
    // Another Host (DNS rebinding) is refused even with the cookie.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      http
        .get(`${s.url}/console/`, { headers: { cookie, host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject),
    );
    expect(status).toBe(401);
  });

  it('pages load only local assets under a strict CSP', async () => {
    const res = await page('/console/');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(m[1]).toMatch(/^\//);
    expect((await page('/console/assets/console.js')).headers.get('content-type')).toContain('javascript');
  });

  it('refuses a POST without the CSRF token or from another Origin, and changes nothing', async () => {
    const before = s.world.engine.listExecutions().length;
    const token = await csrf();
    expect((await post('/console/workflows/backup-health', { 'in.maxAgeHours': '26' })).status).toBe(403);
    expect((await post('/console/workflows/backup-health', { csrf: 'f'.repeat(64) })).status).toBe(403);
    expect(
      (await post('/console/workflows/backup-health', { csrf: token }, { origin: 'http://evil.example' }))
        .status,
    ).toBe(403);
    expect((await post('/console/workflows/backup-health', { csrf: token }, { origin: null })).status).toBe(
      403,
    );
    expect(s.world.engine.listExecutions()).toHaveLength(before);
  });

  it('the management API changes nothing without the token (other local users cannot start, decide or reset)', async () => {
    const before = s.world.engine.listExecutions().length;
    const call = (path: string, authorization?: string) =>
      fetch(`${s.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: '{}',
      });
    for (const path of [
      '/executions/backup-health',
      '/approvals/some-failover/decision',
      '/executions/failover/some-failover/stop',
      '/sandbox/reset',
      '/desk/replay',
    ]) {
      const res = await call(path);
      expect([path, res.status]).toEqual([path, 401]);
      expect(((await res.json()) as { message: string }).message).toContain('console-token');
      expect((await call(path, `Bearer ${'0'.repeat(64)}`)).status).toBe(401);
    }
    expect(s.world.engine.listExecutions()).toHaveLength(before);
    // Reading stays open on loopback; with the token a change goes through.
    expect((await fetch(`${s.url}/executions`)).status).toBe(200);
    const ok = await call('/executions/backup-health', `Bearer ${s.token}`);
    expect(ok.status).toBeLessThan(300);
    expect(s.world.engine.listExecutions()).toHaveLength(before + 1);
  });
});

describe('workflows and executions', () => {
  it('generates each form from the workflow inputs and types the submitted values', () => {
    const w = workflow('support-bundle')!;
    const input = inputFromForm(
      w,
      new URLSearchParams({
        'in.ticket': '1234567',
        'in.scope': 'cluster',
        'in.extended': 'false',
        'in.timeoutMinutes': '30',
        'in.notify': 'a@example.com\nb@example.com',
        'in.period': '',
      }),
    );
    expect(input).toEqual({
      ticket: '1234567',
      scope: 'cluster',
      extended: false,
      timeoutMinutes: 30,
      notify: ['a@example.com', 'b@example.com'],
    });
    expect(() =>
      inputFromForm(workflow('failover')!, new URLSearchParams({ 'in.traffic': '{nope' })),
    ).toThrow('traffic: not valid JSON');
  });

  it('draws every state of every state machine, from the ASL the docs use', () => {
    for (const key of ['failover', 'actions-sync', 'support-bundle']) {
      const asl = JSON.parse(readFileSync(`${ROOT}/statemachines/${key}.asl.json`, 'utf8')) as {
        States: Record<string, unknown>;
      };
      const g = layoutGraph(asl);
      for (const name of Object.keys(asl.States)) expect(g.nodes.some((n) => n.name === name)).toBe(true);
      // No two boxes overlap.
      for (const a of g.nodes)
        for (const b of g.nodes)
          if (a !== b && a.y === b.y) expect(a.x + a.w <= b.x || b.x + b.w <= a.x).toBe(true);
      const first = Object.keys(asl.States)[0]!;
      expect(graphSvg(asl, { [first]: 'running' })).toContain(`class="state st-running`);
    }
  });

  it('starts a failover from its form, shows it waiting for approval, approves it from the page and it succeeds', async () => {
    const token = await csrf();
    const input = failoverInput({ requireApproval: true });
    const res = await post('/console/workflows/failover', {
      csrf: token,
      'in.mode': 'planned',
      'in.traffic': JSON.stringify(input.traffic),
      'in.reason': 'console test',
      'in.requireApproval': 'true',
      'in.notify': 'oncall@example.com',
      name: 'console-approve',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/executions/failover/console-approve?flash=started');
    const waiting = await until('the approval gate', async () => {
      const d = await api<ExecutionDetail>('/executions/failover/console-approve');
      return d.waitingForApproval ? d : undefined;
    });
    expect(waiting.states.RequestApproval?.status).toBe('waiting');
    // No task token in any view.
    expect(JSON.stringify(waiting)).not.toMatch(/"taskToken":\s*"(?!\*\*\*\*)/);
    const html = await (await page('/console/executions/failover/console-approve')).text();
    expect(html).toContain('id="approve-form"');
    expect(html).toMatch(/data-state="RequestApproval" data-status="waiting"/);
    const list = await api<ExecutionSummary[]>('/executions');
    expect(list.find((e) => e.name === 'console-approve')).toMatchObject({
      waitingForApproval: true,
      status: 'RUNNING',
    });

    const ok = await post('/console/executions/failover/console-approve/approval', {
      csrf: token,
      decision: 'approve',
      by: 'mona',
      reason: 'looks good',
    });
    expect(ok.headers.get('location')).toContain('flash=approved');
    const done = await until(
      'the end',
      async () => {
        const d = await api<ExecutionDetail>('/executions/failover/console-approve');
        return d.status !== 'RUNNING' ? d : undefined;
      },
      60_000,
    );
    expect(done.status).toBe('SUCCEEDED');
    expect((done.output as { approval: { by: string } }).approval.by).toBe('mona');
    expect(Object.values(done.states).every((st) => st.status !== 'running' && st.status !== 'waiting')).toBe(
      true,
    );
    expect(s.world.cloud!.record()?.value).toBe('ghe-replica');
  }, 90_000);

  it('resets the sandbox so the failover can be run again (a fresh replica, traffic on the primary, no anti-flapping)', async () => {
    expect(
      (await api<{ appliances: { name: string; role: string }[] }>('/sandbox')).appliances,
    ).toContainEqual(expect.objectContaining({ name: 'ghe-replica', role: 'primary' }));
    const res = await post('/console/sandbox/reset', { csrf: await csrf() });
    expect(res.headers.get('location')).toBe('/console/sandbox?flash=reset');
    const v = await api<{
      appliances: { name: string; role: string; replication: string }[];
      traffic: string;
    }>('/sandbox');
    expect(v.appliances.filter((a) => a.name !== 'ghe-backup').map((a) => [a.name, a.role])).toEqual([
      ['ghe-primary', 'primary'],
      ['ghe-replica', 'replica'],
    ]);
    expect(v.appliances[1]!.replication).toMatch(/^running from ghe-primary/);
    expect(v.traffic).toContain('CNAME -> ghe-primary');
    const again = await s.world.engine.startExecution('failover', failoverInput(), 'after-reset');
    const result = await s.world.engine.waitForExecution(again.executionArn);
    expect([result.status, result.error]).toEqual(['SUCCEEDED', undefined]);
  }, 60_000);

  it('decides a jira-prefix-list approval from the page, and refuses it as a traffic confirmation', async () => {
    const stale = Array.from({ length: 130 }, (_, i) => `10.1.${i}.0/24`);
    s.world.runbook.prefixLists!.create(
      'pl-console0000000001',
      'public-ip-ranges-for-jira-cloud',
      'IPv4',
      stale,
      150,
    );
    const list = s.world.config.runbook!.jira!;
    const before = { ...list };
    s.world.config.runbook!.jira = { ...list, prefixListId: 'pl-console0000000001' };
    try {
      await s.world.engine.startExecution('jira-prefix-list', {}, 'console-jira');
      const waiting = await until('the jira approval', async () => {
        const d = await api<ExecutionDetail>('/executions/jira-prefix-list/console-jira');
        return d.waitingForApproval ? d : undefined;
      });
      expect(waiting).toMatchObject({ waitingForTraffic: false, status: 'RUNNING' });
      const html = await (await page('/console/executions/jira-prefix-list/console-jira')).text();
      expect(html).toContain('id="approve-form"');
      expect(html).toContain('jira-prefix-list execution waits for a decision');
      // The traffic form cannot answer an approval (the gate checks the kind).
      const wrong = await post('/console/executions/jira-prefix-list/console-jira/traffic', {
        csrf: await csrf(),
        decision: 'approve',
      });
      expect(wrong.status).toBeGreaterThanOrEqual(400);
      const no = await post('/console/executions/jira-prefix-list/console-jira/approval', {
        csrf: await csrf(),
        decision: 'reject',
        reason: 'too many removals',
      });
      expect(no.headers.get('location')).toContain('flash=rejected');
      const done = await until('the end', async () => {
        const d = await api<ExecutionDetail>('/executions/jira-prefix-list/console-jira');
        return d.status !== 'RUNNING' ? d : undefined;
      });
      expect(done).toMatchObject({ status: 'FAILED', error: 'PrefixListChangeRejected' });
      expect([...s.world.runbook.prefixLists!.snapshot('pl-console0000000001').cidrs].sort()).toEqual(
        [...stale].sort(),
      );
    } finally {
      s.world.config.runbook!.jira = before;
    }
  }, 60_000);

  it('switches the scenario from the page', async () => {
    const res = await post('/console/sandbox/scenario', { csrf: await csrf(), scenario: 'replica-lagging' });
    expect(res.status).toBe(303);
    expect(s.world.sandbox!.scenario).toBe('replica-lagging');
    expect(await (await page('/console/sandbox')).text()).toContain(
      '<strong id="scenario">replica-lagging</strong>',
    );
    await post('/console/sandbox/scenario', { csrf: await csrf(), scenario: 'healthy' });
    expect((await post('/console/sandbox/scenario', { csrf: await csrf(), scenario: 'nope' })).status).toBe(
      400,
    );
  });

  it('stops a running execution from the page', async () => {
    await s.world.engine.startExecution('failover', failoverInput({ requireApproval: true }), 'console-stop');
    await until(
      'the approval gate',
      async () =>
        (await api<ExecutionDetail>('/executions/failover/console-stop')).waitingForApproval || undefined,
    );
    const res = await post('/console/executions/failover/console-stop/stop', { csrf: await csrf() });
    expect(res.headers.get('location')).toContain('flash=stopped');
    const d = await until('the stop', async () => {
      const x = await api<ExecutionDetail>('/executions/failover/console-stop');
      return x.status !== 'RUNNING' ? x : undefined;
    });
    expect(d.status).toBe('ABORTED');
    await s.world.bus.settled();
  }, 30_000);
});

describe('service desk', () => {
  it('shows a mailed ticket with its participants; an agent reply runs the webhook and reaches the outbox', async () => {
    await smtpSend(
      s.desk.smtpPort,
      { from: 'alice@example.com', to: deskAddress() },
      `From: Alice <alice@example.com>\r\nTo: ${deskAddress()}\r\nCc: bob@example.com\r\nSubject: VPN is down\r\nMessage-ID: <vpn-1@example.com>\r\n\r\nThe VPN does not connect.\r\n`,
    );
    await s.desk.settled();
    const tickets = await api<TicketView[]>('/desk/tickets');
    const t = tickets.find((x) => x.title === 'VPN is down')!;
    expect(t).toMatchObject({ repo: 'acme/support-tickets', state: 'open' });
    expect(t.labels).toContain('service-desk');
    expect(t.participants.map((p) => p.address).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    expect(JSON.stringify(tickets)).not.toContain('replyKey');
    const inbound = await api<{ action: string; ticket?: string }[]>('/desk/inbound');
    expect(inbound[0]).toMatchObject({ action: 'created', ticket: `acme/support-tickets#${t.number}` });

    const sent = s.world.outbox!.sent.length;
    const res = await post(`/console/desk/tickets/acme/support-tickets/${t.number}/reply`, {
      csrf: await csrf(),
      body: 'Please restart the client.',
    });
    expect(res.headers.get('location')).toContain('flash=replied');
    await s.desk.issues.settled();
    const notes = s.world.outbox!.sent.slice(sent);
    expect(notes.map((m) => m.to[0]).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    expect(notes[0]!.text).toContain('Please restart the client.');
    expect(s.desk.issues.deliveries.at(-1)).toMatchObject({ event: 'issue_comment', status: 200 });
    const after = (await api<TicketView[]>('/desk/tickets')).find((x) => x.number === t.number)!;
    expect(after.comments.at(-1)).toMatchObject({
      user: 'support-agent',
      body: '/reply Please restart the client.',
    });

    // An internal note is posted without /reply: not mailed.
    const n = s.world.outbox!.sent.length;
    await post(`/console/desk/tickets/acme/support-tickets/${t.number}/reply`, {
      csrf: await csrf(),
      body: 'customer on the old plan',
      internal: '1',
    });
    await s.desk.issues.settled();
    expect(s.world.outbox!.sent.length).toBe(n);
    expect(s.desk.issues.deliveries.at(-1)).toMatchObject({ event: 'issue_comment', status: 202 });

    const outbox = await api<{ id: string; subject: string }[]>('/outbox');
    expect(outbox[0]!.subject).toBe(`VPN is down (#${t.number})`);
    const mailPage = await (await page(`/console/outbox/${outbox[0]!.id}`)).text();
    expect(mailPage).toContain('Please restart the client.');
  }, 30_000);

  it('shows a dropped mail with its reason', async () => {
    await smtpSend(
      s.desk.smtpPort,
      { from: 'root@localhost', to: deskAddress() },
      `From: root@localhost\r\nTo: ${deskAddress()}\r\nSubject: hi\r\n\r\nhello\r\n`,
    );
    await s.desk.settled();
    const inbound = await api<{ action: string; reason?: string }[]>('/desk/inbound');
    expect(inbound[0]).toMatchObject({ action: 'dropped', reason: 'no-sender' });
    expect(await (await page('/console/desk')).text()).toContain('no-sender');
  }, 20_000);
});
