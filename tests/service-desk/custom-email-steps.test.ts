/**
 * The custom-email verification's steps, handlers, inbox, routing and HTTP trigger with fakes:
 * input validation failures, the running/stale rule, the inbox's drop reasons and retries, and the
 * HTTP endpoint's authorization. The whole workflow runs in tests/workflows/custom-email-verification.test.ts.
 */
import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { FileParameterStore } from '../../local/adapters/file-parameter-store.js';
import type { ExecutionState, Executions } from '../../shared/executions/executions.js';
import { createLogger } from '../../shared/logger.js';
import type { OutgoingMail } from '../../shared/mail/mailer.js';
import { setDeps, type Deps } from '../../shared/runtime/deps.js';
import { parseDeskConfig } from '../../shared/service-desk/config.js';
import { VerificationAlreadyRunning } from '../../shared/service-desk/custom-email/errors.js';
import { StepFunctionsVerificationInbox } from '../../shared/service-desk/custom-email/inbox.js';
import { CustomEmailStore } from '../../shared/service-desk/custom-email/settings.js';
import { adminTokenParameter } from '../../shared/service-desk/custom-email/trigger.js';
import type { Verification } from '../../shared/service-desk/custom-email/types.js';
import { finishVerification, startVerification } from '../../shared/service-desk/custom-email/workflow.js';
import type { VerificationMail } from '../../shared/service-desk/desk.js';
import { parseMail } from '../../shared/service-desk/parse.js';
import { deliveredTo, routeMail, verifyAddressesIn } from '../../shared/service-desk/route.js';
import { failure } from '../helpers/failure.js';

const DESK_JSON = {
  local: 'support',
  domain: 'desk.example.com',
  publicUrl: 'https://api.example.com/service-desk',
  projects: [
    {
      slug: 'acme-support',
      id: 1,
      suffix: 'help',
      repo: 'acme/tickets',
      reopen: true,
      owners: ['Owner@Acme.example'],
    },
  ],
};
const desk = parseDeskConfig(DESK_JSON, 'test');
const PREFIX = '/ghes-ops/test';
const PROJECT = 'acme-support';
const ARN = 'arn:aws:states:us-east-1:123456789012:execution:ghes-ops-dev-custom-email-verification:one';
const context = { awsRequestId: 'req-1' } as Context;

let params: FileParameterStore;
let store: CustomEmailStore;
let sent: OutgoingMail[];
let logs: string[];
let statuses: Map<string, ExecutionState>;
let started: { stateMachine: string; input: unknown }[];
let resumed: { token: string; output: unknown }[];
let sleepHook: (() => Promise<void>) | undefined;

function deps(): Deps {
  const executions: Executions = {
    start: async (stateMachine, input) => {
      started.push({ stateMachine, input });
      return { executionArn: `${ARN}-${started.length}`, startDate: '2026-01-01T00:00:00.000Z' };
    },
    sendTaskSuccess: async (token, output) => void resumed.push({ token, output }),
    sendTaskFailure: async () => undefined,
    status: async (arn) => statuses.get(arn) ?? 'NOT_FOUND',
  };
  return {
    config: {
      stage: 'test',
      appliance: { runner: 'sandbox', primary: 'p' },
      mail: { from: 'ghes-ops <ghes-ops@example.com>', notify: [] },
      parameterPrefix: PREFIX,
      stateMachines: {},
      serviceDesk: { desk, inboundPrefix: 'inbound/' },
    } as Deps['config'],
    clock: { now: () => Date.parse('2026-01-01T00:00:00Z'), sleep: async () => sleepHook?.(), scale: 1 },
    log: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
    params,
    mailer: { send: async (m: OutgoingMail) => (sent.push(m), { messageId: `m${sent.length}` }) },
    executions,
  } as unknown as Deps;
}

const settingsInput = {
  address: 'support@acme.example',
  smtpHost: 'smtp.acme.example',
  smtpPort: 587,
  username: 'support@acme.example',
  password: 'the-smtp-password',
};

beforeEach(async () => {
  params = new FileParameterStore(path.join(mkdtempSync(path.join(tmpdir(), 'ce-steps-')), 'p.json'));
  store = new CustomEmailStore(params, PREFIX);
  sent = [];
  logs = [];
  statuses = new Map();
  started = [];
  resumed = [];
  sleepHook = undefined;
  setDeps(deps());
});

describe('StartVerification', () => {
  it('marks started: token saved, address disabled, who and when recorded, owners and triggerer emailed', async () => {
    await store.set(PROJECT, settingsInput);
    await store.saveSettings(PROJECT, { ...(await store.settings(PROJECT))!, enabled: true });
    const out = await startVerification({ project: PROJECT, triggeredBy: 'Ops@Acme.example' }, ARN, deps());
    expect(out.verification).toMatchObject({
      project: PROJECT,
      verifyAddress: 'support+verify@acme.example',
      deskAddress: 'support+acme-support-1-issue-@desk.example.com',
      recipients: ['owner@acme.example', 'ops@acme.example'],
      triggeredBy: 'ops@acme.example',
      strict: false,
    });
    expect(JSON.stringify(out)).not.toContain('the-smtp-password');
    expect(await store.token(PROJECT)).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(JSON.stringify(out)).not.toContain((await store.token(PROJECT))!);
    expect((await store.settings(PROJECT))!.enabled).toBe(false);
    expect(await store.state(PROJECT)).toEqual({
      state: 'started',
      triggeredBy: 'ops@acme.example',
      triggeredAt: '2026-01-01T00:00:00.000Z',
      executionArn: ARN,
    });
    expect(sent.map((m) => m.to)).toEqual([['owner@acme.example', 'ops@acme.example']]);
  });

  it('refuses while the recorded execution is RUNNING, takes over one that ended', async () => {
    await store.set(PROJECT, settingsInput);
    const other = `${ARN}-other`;
    await store.saveState(PROJECT, {
      state: 'started',
      triggeredBy: 'a@x.example',
      triggeredAt: '2026-01-01T00:00:00Z',
      executionArn: other,
    });
    statuses.set(other, 'RUNNING');
    const e = await failure(startVerification({ project: PROJECT, triggeredBy: 'b@x.example' }, ARN, deps()));
    expect(e).toBeInstanceOf(VerificationAlreadyRunning);
    expect(e.message).toContain(`execution ${other}, started by a@x.example`);
    expect((await store.state(PROJECT))!.executionArn).toBe(other);
    statuses.set(other, 'TIMED_OUT');
    await startVerification({ project: PROJECT, triggeredBy: 'b@x.example' }, ARN, deps());
    expect((await store.state(PROJECT))!.executionArn).toBe(ARN);
    expect(logs.join('\n')).toContain('taking over a verification whose execution is not running');
  });

  it('a retry of the same execution is not "already running"', async () => {
    await store.set(PROJECT, settingsInput);
    await store.saveState(PROJECT, {
      state: 'started',
      triggeredBy: 'a@x.example',
      triggeredAt: '2026-01-01T00:00:00Z',
      executionArn: ARN,
    });
    statuses.set(ARN, 'RUNNING');
    await expect(
      startVerification({ project: PROJECT, triggeredBy: 'a@x.example' }, ARN, deps()),
    ).resolves.toBeDefined();
  });

  it('of two starts at the same moment, the one whose record was overwritten stops', async () => {
    await store.set(PROJECT, settingsInput);
    sleepHook = async () =>
      store.saveState(PROJECT, {
        state: 'started',
        triggeredBy: 'z@x.example',
        triggeredAt: '2026-01-01T00:00:00Z',
        executionArn: `${ARN}-z`,
      });
    const e = await failure(startVerification({ project: PROJECT, triggeredBy: 'a@x.example' }, ARN, deps()));
    expect(e).toBeInstanceOf(VerificationAlreadyRunning);
    expect(sent).toHaveLength(0);
  });
});

describe('step handlers: input validation', () => {
  const load = async (name: string) =>
    (
      (await import(`../../functions/service-desk/verification/${name}.js`)) as {
        handler: (e: unknown, c: Context) => Promise<unknown>;
      }
    ).handler;

  it('start: an invalid execution input names every field, nothing is written or sent', async () => {
    const start = await load('start');
    const e = await failure(
      start(
        { input: { project: 'Bad Slug', triggeredBy: 'x', strict: 'yes', extra: 1 }, execution: ARN },
        context,
      ),
    );
    expect(e.name).toBe('InputValidationError');
    for (const field of ['project', 'triggeredBy', 'strict', 'extra'])
      expect(e.message).toContain(`${field}: `);
    expect(sent).toHaveLength(0);
    expect(await store.state(PROJECT)).toBeUndefined();
    const unknown = await failure(
      start({ input: { project: 'nope', triggeredBy: 'a@x.example' }, execution: ARN }, context),
    );
    expect(unknown.message).toContain('known projects: acme-support');
    const missing = await failure(start({ input: {} }, context));
    expect(missing.message).toContain('execution: is missing');
  });

  it('send, check and finish refuse a malformed verification object, naming the fields', async () => {
    const bad = { project: PROJECT, address: 'nope', smtp: { host: 'smtp;rm -rf', port: 0 } };
    for (const name of ['send', 'check', 'finish']) {
      const handler = await load(name);
      const e = await failure(handler({ taskToken: 't', verification: bad, evidence: {} }, context));
      expect({ name, error: e.name }).toEqual({ name, error: 'InputValidationError' });
      for (const field of [
        'verification.address',
        'verification.verifyAddress',
        'verification.smtp.host',
        'verification.smtp.port',
      ])
        expect(e.message).toContain(field);
    }
    const send = await load('send');
    expect((await failure(send({ verification: bad }, context))).message).toContain('taskToken: is missing');
  });

  it('check refuses evidence that is not what the inbox sends', async () => {
    await store.set(PROJECT, settingsInput);
    const { verification } = await startVerification(
      { project: PROJECT, triggeredBy: 'a@x.example' },
      ARN,
      deps(),
    );
    const check = await load('check');
    const e = await failure(
      check(
        { verification, evidence: { to: 'x', deliveredTo: [1], verdicts: { spf: 'pass; drop' } } },
        context,
      ),
    );
    expect(e.name).toBe('InputValidationError');
    for (const field of ['to', 'deliveredTo', 'receivedAt', 'verdicts.spf'])
      expect(e.message).toContain(`${field}: `);
  });
});

describe('FinishVerification', () => {
  let v: Verification;
  beforeEach(async () => {
    await store.set(PROJECT, settingsInput);
    v = (await startVerification({ project: PROJECT, triggeredBy: 'a@x.example' }, ARN, deps())).verification;
    sent = [];
  });

  it('a step timeout after the mail arrived is an internal error, not mail_not_received', async () => {
    const r = await finishVerification(
      {
        verification: v,
        evidence: { to: [], deliveredTo: [], verdicts: {}, tokenFound: true, receivedAt: 'now' },
        failure: { Error: 'States.Timeout', Cause: 'Task timed out' },
      },
      deps(),
    );
    expect(r).toMatchObject({ state: 'failed', error: 'States.Timeout' });
    expect(r.code).toBeUndefined();
    expect(sent[0]!.text).toContain('FAILED on an internal error: States.Timeout');
    expect(await store.token(PROJECT)).toBeUndefined();
  });

  it('leaves the record and secrets of another execution alone', async () => {
    await store.saveState(PROJECT, {
      state: 'started',
      triggeredBy: 'z@x.example',
      triggeredAt: 't',
      executionArn: `${ARN}-z`,
    });
    const token = await store.token(PROJECT);
    await finishVerification({ verification: v, failure: { Error: 'IncorrectFrom', Cause: 'x' } }, deps());
    expect((await store.state(PROJECT))!.executionArn).toBe(`${ARN}-z`);
    expect(await store.token(PROJECT)).toBe(token);
  });
});

describe('StepFunctionsVerificationInbox', () => {
  const mail = (over: Partial<VerificationMail> = {}): VerificationMail => ({
    messageId: '<v@acme.example>',
    from: 'support@acme.example',
    to: ['support+verify@acme.example'],
    subject: 'Verify custom email address support@acme.example for acme-support',
    body: 'Verification token: AbCdEf123456\n\nVerification token: ZZZZZZZZZZZZ',
    verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
    deliveredTo: ['support+acme-support-1-issue-@desk.example.com'],
    verifyAddresses: ['support+verify@acme.example'],
    ...over,
  });
  let sendTaskSuccess: (token: string, output: unknown) => Promise<void>;
  const inbox = () =>
    new StepFunctionsVerificationInbox({
      desk,
      store,
      executions: { sendTaskSuccess: (t, o) => sendTaskSuccess(t, o) },
      log: createLogger({ write: (l) => logs.push(l) }),
      now: () => Date.parse('2026-01-01T00:05:00Z'),
    });
  beforeEach(async () => {
    await store.set(PROJECT, settingsInput);
    sendTaskSuccess = async (token, output) => void resumed.push({ token, output });
  });

  it('drops mail for an unknown address and mail nobody waits for', async () => {
    await expect(inbox().received(mail({ verifyAddresses: ['x+verify@other.example'] }))).resolves.toEqual({
      accepted: false,
      reason: 'verification-address-unknown',
    });
    await expect(inbox().received(mail())).resolves.toEqual({
      accepted: false,
      reason: 'verification-not-waiting',
    });
    expect(resumed).toHaveLength(0);
  });

  it('resumes the waiting execution with evidence (the first token goes to the store, not the task result)', async () => {
    await store.saveWaiting(PROJECT, { taskToken: 'task-token-1', executionArn: ARN, since: 'x' });
    await expect(inbox().received(mail())).resolves.toEqual({ accepted: true, project: PROJECT });
    expect(resumed).toEqual([
      {
        token: 'task-token-1',
        output: {
          messageId: '<v@acme.example>',
          from: 'support@acme.example',
          to: ['support+verify@acme.example'],
          deliveredTo: ['support+acme-support-1-issue-@desk.example.com'],
          verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
          tokenFound: true,
          receivedAt: '2026-01-01T00:05:00.000Z',
        },
      },
    ]);
    expect(await store.receivedToken(PROJECT)).toBe('AbCdEf123456');
    expect(await store.waiting(PROJECT)).toBeUndefined();
    // A second copy finds nothing waiting.
    await expect(inbox().received(mail())).resolves.toMatchObject({ reason: 'verification-not-waiting' });
  });

  it('a task that timed out is dropped; a transient failure puts the waiting task back and throws to be retried', async () => {
    await store.saveWaiting(PROJECT, { taskToken: 'tt', executionArn: ARN, since: 'x' });
    sendTaskSuccess = async () => {
      throw Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
    };
    await expect(inbox().received(mail())).resolves.toEqual({
      accepted: false,
      reason: 'verification-task-ended',
    });
    await store.saveWaiting(PROJECT, { taskToken: 'tt', executionArn: ARN, since: 'x' });
    sendTaskSuccess = async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };
    await expect(inbox().received(mail())).rejects.toThrow('Rate exceeded');
    expect(await store.waiting(PROJECT)).toEqual({ taskToken: 'tt', executionArn: ARN, since: 'x' });
  });
});

describe('routing of +verify mail', () => {
  const raw = (headers: string) =>
    Buffer.from(`${headers}\r\nFrom: support@acme.example\r\nSubject: s\r\n\r\nbody\r\n`);
  const projectKey = 'support+acme-support-1-issue-@desk.example.com';

  it('recognises <local>+verify@<any domain> in To and delivery headers, never a project ticket', async () => {
    const forwarded = await parseMail(raw('To: support+verify@acme.example'), desk);
    expect(routeMail(forwarded, desk, [projectKey])).toEqual({ kind: 'verify' });
    expect(verifyAddressesIn(forwarded, [projectKey])).toEqual(['support+verify@acme.example']);
    const delivered = await parseMail(
      raw('To: support@acme.example\r\nDelivered-To: Support+Verify@Acme.Example'),
      desk,
    );
    expect(routeMail(delivered, desk, [projectKey])).toEqual({ kind: 'verify' });
  });

  it("a customer copying someone's +verify address (Cc) still reaches the desk; lookalikes do not count", async () => {
    const cc = await parseMail(raw(`To: ${projectKey}\r\nCc: bob+verify@example.org`), desk);
    expect(routeMail(cc, desk)).toMatchObject({ kind: 'project' });
    const other = await parseMail(
      raw(`To: ${projectKey}, support+verifyx@acme.example, x+verify-me@acme.example`),
      desk,
    );
    expect(routeMail(other, desk)).toMatchObject({ kind: 'project' });
  });

  it('deliveredTo: the envelope (unforgeable) wins over headers; headers only without an envelope', async () => {
    const m = await parseMail(raw(`To: support+verify@acme.example\r\nDelivered-To: ${projectKey}`), desk);
    expect(deliveredTo(m, desk, ['support@desk.example.com', 'other@elsewhere.example'])).toEqual([
      'support@desk.example.com',
    ]);
    expect(deliveredTo(m, desk)).toEqual([projectKey]);
    const evil = await parseMail(
      raw('Delivered-To: support+acme-support-1-issue-@desk.example.com.evil.example'),
      desk,
    );
    expect(deliveredTo(evil, desk)).toEqual([]);
  });
});

describe('HTTP trigger: POST /service-desk/custom-email/<project>/verify', () => {
  let http: (e: unknown, c: Context) => Promise<{ statusCode: number; body: string }>;
  const TOKEN = 'admin-token-0123456789abcdef';
  const call = (
    project: string,
    headers: Record<string, string>,
    body = '{"triggeredBy":"ops@acme.example"}',
  ) =>
    http(
      {
        version: '2.0',
        routeKey: 'POST /service-desk/custom-email/{project}/verify',
        rawPath: `/service-desk/custom-email/${project}/verify`,
        pathParameters: { project },
        requestContext: { http: { method: 'POST', path: `/service-desk/custom-email/${project}/verify` } },
        headers,
        body,
      },
      context,
    ).then((r) => ({ status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> }));

  beforeAll(async () => {
    http = ((await import('../../functions/service-desk/http.js')) as { handler: typeof http }).handler;
  });
  beforeEach(async () => {
    await params.put(adminTokenParameter(PREFIX), TOKEN, { secure: true, overwrite: true });
    await store.set(PROJECT, settingsInput);
  });

  it('401 without the admin bearer token, with a wrong one, or when none is stored; nothing starts', async () => {
    expect((await call(PROJECT, {})).status).toBe(401);
    expect((await call(PROJECT, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await call(PROJECT, { authorization: TOKEN })).status).toBe(401);
    await params.delete(adminTokenParameter(PREFIX));
    expect((await call(PROJECT, { authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    expect(started).toHaveLength(0);
    expect(logs.join('\n')).not.toContain(TOKEN);
  });

  it('400 for an unknown project or a bad body, 409 without settings', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const unknown = await call('nope', auth);
    expect(unknown).toMatchObject({ status: 400, body: { error: 'InputValidationError' } });
    expect(unknown.body.message).toContain('known projects: acme-support');
    expect((await call(PROJECT, auth, '{"triggeredBy":"not-an-address"}')).status).toBe(400);
    expect((await call(PROJECT, auth, '{"triggeredBy":"a@b.example","project":"x"}')).status).toBe(400);
    expect((await call(PROJECT, auth, 'not json')).status).toBe(400);
    await store.reset(PROJECT);
    expect(await call(PROJECT, auth)).toMatchObject({
      status: 409,
      body: { error: 'CustomEmailNotConfigured' },
    });
    expect(started).toHaveLength(0);
  });

  it('202 with the execution ARN: starts custom-email-verification with the project and the triggerer', async () => {
    const r = await call(
      PROJECT,
      { authorization: `Bearer ${TOKEN}` },
      '{"triggeredBy":"Ops@Acme.example","strict":true}',
    );
    expect(r).toEqual({
      status: 202,
      body: { project: PROJECT, executionArn: `${ARN}-1`, startDate: '2026-01-01T00:00:00.000Z' },
    });
    expect(started).toEqual([
      {
        stateMachine: 'custom-email-verification',
        input: { project: PROJECT, triggeredBy: 'ops@acme.example', strict: true },
      },
    ]);
  });
});
