import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { AsyncInvoker, readFailedInvocations } from '../../local/async-invoke.js';
import { serverlessFunctionResolver } from '../../local/engine/lambda-invoker.js';
import { LambdaFunctionError } from '../../local/engine/lambda-invoker.js';
import { startSchedules } from '../../local/events.js';
import { readTriggers, type HttpRoute } from '../../local/serverless-triggers.js';
import { localHttpApi } from '../../local/stack-api.js';
import type { LocalWorld } from '../../local/world.js';
import { createLogger } from '../../shared/logger.js';
import { ticketTokenParameter } from '../../shared/service-desk/ticket-token.js';
import { smtpSend, testDesk, type TestDesk } from '../helpers/local-desk.js';
import { ROOT, testWorld } from '../helpers/local-world.js';

const routes = readTriggers(ROOT).http;

/** A concrete request for a route: its path parameters filled in, a JSON body for POSTs. */
function requestFor(route: HttpRoute): { path: string; init: RequestInit } {
  const values: Record<string, string> = {
    execution: 'failover-exec-1',
    key: '0123456789abcdef0123456789abcdef',
    project: 'acme-support',
  };
  const p = route.path.replace(/\{([A-Za-z0-9_]+)\+?\}/g, (_m, name: string) => values[name] ?? 'x');
  return {
    path: p,
    init:
      route.method === 'POST'
        ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }
        : { method: route.method },
  };
}

const context = { awsRequestId: 'direct-call', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

describe('HTTP: every httpApi route of serverless.yml is served locally by its function', () => {
  let world: LocalWorld;
  let server: ReturnType<typeof localHttpApi>;
  let url = '';
  beforeAll(async () => {
    world = testWorld();
    server = localHttpApi(world);
    ({ url } = await server.listen(0));
  });
  afterAll(async () => {
    await server.close();
    await world.close();
  });

  it('declares the routes the functions serve', () => {
    expect(routes.map((r) => `${r.method} ${r.path} ${r.functionKey}`).sort()).toEqual([
      'GET /failover/approvals/{execution} failoverApprovalLink',
      'GET /github-app/redirect githubAppRedirect',
      'GET /github-app/setup githubAppSetup',
      'GET /jira-prefix-list/approvals/{execution} failoverApprovalLink',
      'GET /service-desk/satisfaction/{token} serviceDeskSurvey',
      'GET /service-desk/unsubscribe/{key} serviceDeskHttp',
      'GET /tls-certificate/approvals/{execution} failoverApprovalLink',
      'POST /failover/approvals/{execution} failoverApprovalLink',
      'POST /github-app/webhooks githubAppWebhook',
      'POST /jira-prefix-list/approvals/{execution} failoverApprovalLink',
      'POST /service-desk/custom-email/{project}/verify serviceDeskHttp',
      'POST /service-desk/satisfaction/{token} serviceDeskSurvey',
      'POST /service-desk/unsubscribe/{key} serviceDeskHttp',
      'POST /service-desk/webhook serviceDeskHttp',
      'POST /tls-certificate/approvals/{execution} failoverApprovalLink',
    ]);
  });

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: an API Gateway payload 2.0 event to its function; the response is the function’s, headers identical',
    async (_name, route) => {
      const invoke = jest.spyOn(world.engine, 'invokeFunction');
      try {
        const { path: p, init } = requestFor(route);
        const res = await fetch(`${url}${p}?a=1&a=2`, init);
        expect(invoke).toHaveBeenCalledTimes(1);
        const [key, raw] = invoke.mock.calls[0]!;
        expect(key).toBe(route.functionKey);
        const event = raw as APIGatewayProxyEventV2;
        expect(event).toMatchObject({
          version: '2.0',
          routeKey: `${route.method} ${route.path}`,
          rawPath: p,
          rawQueryString: 'a=1&a=2',
          queryStringParameters: { a: '1,2' },
          requestContext: {
            http: { method: route.method, path: p, sourceIp: '127.0.0.1', protocol: 'HTTP/1.1' },
            routeKey: `${route.method} ${route.path}`,
            stage: '$default',
          },
          isBase64Encoded: false,
        });
        expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
        expect(Object.keys(event.headers).every((h) => h === h.toLowerCase())).toBe(true);
        if (route.path.includes('{')) expect(Object.keys(event.pathParameters ?? {})).toHaveLength(1);

        // The same event to the handler called directly, as Lambda would: same status, same headers.
        const fn = await serverlessFunctionResolver(ROOT)(route.functionKey);
        const handler = typeof fn === 'function' ? fn : fn.handler;
        const direct = (await handler(JSON.parse(JSON.stringify(event)), context)) as {
          statusCode: number;
          headers: Record<string, string>;
        };
        expect(res.status).toBe(direct.statusCode);
        const local = Object.fromEntries(
          [...res.headers].filter(
            ([k]) => !['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(k),
          ),
        );
        expect(local).toEqual(
          Object.fromEntries(Object.entries(direct.headers).map(([k, v]) => [k.toLowerCase(), v])),
        );
      } finally {
        invoke.mockRestore();
      }
    },
  );

  it('pages people open carry the same security headers from the same code: approval, GitHub App setup, unsubscribe', async () => {
    for (const p of [
      '/failover/approvals/failover-exec-1?code=x',
      '/github-app/setup',
      '/service-desk/unsubscribe/0123456789abcdef0123456789abcdef',
    ]) {
      const res = await fetch(`${url}${p}`);
      expect({ p, type: res.headers.get('content-type') }).toEqual({ p, type: 'text/html; charset=utf-8' });
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('a form body arrives base64-encoded, as API Gateway sends it, and the function decodes it', async () => {
    const invoke = jest.spyOn(world.engine, 'invokeFunction');
    try {
      await fetch(`${url}/failover/approvals/failover-exec-1`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'code=abc&decision=approve',
      });
      const event = invoke.mock.calls[0]![1] as APIGatewayProxyEventV2;
      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body!, 'base64').toString()).toBe('code=abc&decision=approve');
    } finally {
      invoke.mockRestore();
    }
  });

  it('unknown routes get API Gateway’s 404; a function that throws gets its 500, and the error is logged', async () => {
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    const invoke = jest
      .spyOn(world.engine, 'invokeFunction')
      .mockRejectedValueOnce(new LambdaFunctionError('ConfigError', 'boom'));
    try {
      const res = await fetch(`${url}/github-app/setup`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message: 'Internal Server Error' });
      expect(
        world.logLines.some((l) => l.includes('function githubAppSetup failed') && l.includes('boom')),
      ).toBe(true);
    } finally {
      invoke.mockRestore();
    }
  });
});

describe('mail: the local SMTP server is the SES stand-in in front of functions/service-desk/receive.ts', () => {
  let stack: TestDesk;
  beforeAll(async () => {
    stack = await testDesk();
  });
  afterAll(() => stack.close());
  afterEach(() => {
    jest.restoreAllMocks();
  });

  const send = (raw: string, to = 'support+acme-support-1-issue-@desk.localhost', from = 'x@example.com') =>
    smtpSend(stack.desk.smtpPort, { from, to }, raw);

  it('stores the message in the mail bucket under the S3 action’s key, then invokes the receive function with the SES event', async () => {
    const invoke = jest.spyOn(stack.world.engine, 'invokeFunction');
    const raw =
      'From: carol@example.com\r\nTo: support+acme-support-1-issue-@desk.localhost\r\nSubject: One path\r\nMessage-ID: <one-path-1@example.com>\r\n\r\nHello.\r\n';
    await send(raw);
    await stack.desk.settled();
    const calls = invoke.mock.calls.filter(([k]) => k === 'serviceDeskReceive');
    expect(calls).toHaveLength(1);
    const record = (
      calls[0]![1] as {
        Records: {
          eventSource: string;
          ses: { mail: Record<string, unknown>; receipt: Record<string, unknown> };
        }[];
      }
    ).Records[0]!;
    expect(record.eventSource).toBe('aws:ses');
    expect(record.ses.mail).toMatchObject({
      source: 'x@example.com',
      destination: ['support+acme-support-1-issue-@desk.localhost'],
      commonHeaders: {
        subject: 'One path',
        messageId: '<one-path-1@example.com>',
        from: ['carol@example.com'],
      },
    });
    expect(record.ses.receipt).toMatchObject({
      recipients: ['support+acme-support-1-issue-@desk.localhost'],
      spamVerdict: { status: 'PASS' },
      virusVerdict: { status: 'PASS' },
      spfVerdict: { status: 'GRAY' },
      dkimVerdict: { status: 'GRAY' },
      dmarcVerdict: { status: 'GRAY' },
      action: { type: 'Lambda', invocationType: 'Event' },
    });
    const id = record.ses.mail.messageId as string;
    expect(id).toMatch(/^[a-z0-9]{40}$/);
    const stored = await stack.world.deps.rawMail.get('ghes-ops-local-mail', `inbound/${id}`);
    expect(Buffer.from(stored).toString()).toBe(raw);
    const ticket = stack.desk.issues.repo('acme/support-tickets')!.issues.find((i) => i.title === 'One path');
    expect(ticket?.body).toContain(`s3://ghes-ops-local-mail/inbound/${id}`);
  });

  it('refuses what SES refuses: recipients no receipt rule covers (550), more than 50 recipients (452)', async () => {
    await expect(send('Subject: x\r\n\r\nx\r\n', 'someone@elsewhere.example')).rejects.toThrow(/550/);
    const many = Array.from({ length: 51 }, (_, i) => `support+acme-support-1-issue-${i}@desk.localhost`);
    const t = nodemailer.createTransport({
      host: '127.0.0.1',
      port: stack.desk.smtpPort,
      secure: false,
      ignoreTLS: true,
    });
    const info = await t.sendMail({
      envelope: { from: 'x@example.com', to: many },
      raw: 'Subject: many\r\n\r\nx\r\n',
    });
    t.close();
    expect(info.accepted).toHaveLength(50);
    expect(info.rejected).toHaveLength(1);
    await stack.desk.settled();
  });

  it('a receive function that throws is retried twice, then its event goes to the failed spool; the raw message stays in the bucket', async () => {
    const params = stack.world.deps.params;
    const name = ticketTokenParameter(stack.world.config.parameterPrefix);
    // The desk's token is revoked on GHES: every attempt is refused (401).
    stack.desk.ghes.revokeToken((await params.get(name))!);
    const invoke = jest.spyOn(stack.world.engine, 'invokeFunction');
    const before = stack.world.invoker.failed.length;
    try {
      await send(
        'From: dave@example.com\r\nTo: support+acme-support-1-issue-@desk.localhost\r\nSubject: Retry me\r\nMessage-ID: <retry-1@example.com>\r\n\r\nHello.\r\n',
      );
      await stack.desk.settled();
    } finally {
      // A new token, read again after the 401 without a restart.
      await params.put(name, stack.desk.ghes.issueToken('support-bot', ['repo']), {
        secure: true,
        overwrite: true,
      });
    }
    expect(invoke.mock.calls.filter(([k]) => k === 'serviceDeskReceive')).toHaveLength(3);
    const failed = stack.world.invoker.failed.slice(before);
    expect(failed).toHaveLength(1);
    const f = failed[0]!;
    expect(f.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(f.requestContext.functionArn).toMatch(/:function:serviceDeskReceive:\$LATEST$/);
    expect(f.responsePayload.errorType).toBe('TicketApiError');
    const id = (f.requestPayload as { Records: { ses: { mail: { messageId: string } } }[] }).Records[0]!.ses
      .mail.messageId;
    expect(
      Buffer.from(await stack.world.deps.rawMail.get('ghes-ops-local-mail', `inbound/${id}`)).toString(),
    ).toContain('Subject: Retry me');
  });
});

describe('failed spool on disk', () => {
  it('writes each failed event as a Lambda destination record, readable for replay', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'failed-'));
    let calls = 0;
    const invoker = new AsyncInvoker({
      invoke: async () => {
        calls += 1;
        throw new LambdaFunctionError('TicketApiError', 'GHES answered 502');
      },
      functionArn: (k) => `arn:aws:lambda:local:000000000000:function:${k}`,
      clock: { sleep: async () => undefined },
      log: createLogger({ write: () => undefined }),
      failedDir: (k) => path.join(dir, k),
    });
    invoker.invoke('serviceDeskReceive', { Records: [{ ses: { mail: { messageId: 'abc' } } }] });
    await invoker.settled();
    expect(calls).toBe(3);
    const files = readdirSync(path.join(dir, 'serviceDeskReceive'));
    expect(files).toHaveLength(1);
    const onDisk = JSON.parse(
      readFileSync(path.join(dir, 'serviceDeskReceive', files[0]!), 'utf8'),
    ) as unknown;
    expect(await readFailedInvocations(path.join(dir, 'serviceDeskReceive'))).toEqual([onDisk]);
    expect(onDisk).toMatchObject({
      version: '1.0',
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { Records: [{ ses: { mail: { messageId: 'abc' } } }] },
      responseContext: { functionError: 'Unhandled' },
      responsePayload: { errorType: 'TicketApiError', errorMessage: 'GHES answered 502' },
    });
  });
});

describe('events: EventBridge rules and Scheduler schedules of serverless.yml', () => {
  let world: LocalWorld;
  beforeAll(() => {
    world = testWorld();
  });
  afterAll(() => world.close());
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('a failover execution that ends FAILED invokes failoverExecutionEnded with the Step Functions event; other machines do not', async () => {
    const invoke = jest.spyOn(world.engine, 'invokeFunction');
    const event = (machine: string, status: string) => ({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      resources: [],
      detail: {
        executionArn: `arn:aws:states:local:000000000000:execution:${machine}:e1`,
        stateMachineArn: world.engine.stateMachineArn(machine),
        status,
      },
    });
    expect(world.bus.put(event('support-bundle', 'FAILED'))).toEqual([]);
    expect(world.bus.put(event('failover', 'SUCCEEDED'))).toEqual([]);
    expect(world.bus.put(event('failover', 'FAILED'))).toEqual(['FailoverExecutionEndedRule']);
    await world.bus.settled();
    const calls = invoke.mock.calls.filter(([k]) => k === 'failoverExecutionEnded');
    expect(calls).toHaveLength(1);
    expect(calls[0]![1]).toMatchObject({
      source: 'aws.states',
      detail: { status: 'FAILED' },
      account: '000000000000',
    });
  });

  it('the engine puts a status-change event for each execution it ends', async () => {
    const seen: unknown[] = [];
    const rule = {
      name: 'probe',
      enabled: true,
      pattern: { source: ['aws.states'] },
      target: { kind: 'function' as const, key: 'probe' },
    };
    world.triggers.rules.push(rule);
    const invoke = jest.spyOn(world.invoker, 'invoke').mockImplementation((_k, e) => (seen.push(e), 'id'));
    try {
      const { executionArn } = await world.engine.startExecution('support-bundle', { ticket: 'bad' });
      await world.engine.waitForExecution(executionArn);
    } finally {
      world.triggers.rules.splice(world.triggers.rules.indexOf(rule), 1);
      invoke.mockRestore();
    }
    expect(seen.map((e) => (e as { detail: { status: string } }).detail.status)).toEqual([
      'RUNNING',
      'FAILED',
    ]);
    expect(seen[1]).toMatchObject({
      detail: {
        stateMachineArn: world.engine.stateMachineArn('support-bundle'),
        error: 'InputValidationError',
      },
    });
  });

  it('the CloudWatch alarm rule (when enabled) starts an unplanned failover with the input transformer’s input', async () => {
    const rule = world.triggers.rules.find(
      (r) => r.target.kind === 'stateMachine' && r.target.key === 'failover',
    )!;
    expect(rule.enabled).toBe(false);
    rule.enabled = true;
    try {
      const matched = world.bus.put({
        'detail-type': 'CloudWatch Alarm State Change',
        source: 'aws.cloudwatch',
        resources: [],
        detail: {
          alarmName: 'ghes-primary-health',
          state: { value: 'ALARM', reason: 'Threshold "crossed"' },
        },
      });
      expect(matched).toEqual([rule.name]);
      await world.bus.settled();
    } finally {
      rule.enabled = false;
    }
    const [e] = world.engine.listExecutions({ stateMachine: 'failover' });
    expect(e?.input).toMatchObject({
      mode: 'unplanned',
      requireApproval: true,
      reason: 'CloudWatch alarm ghes-primary-health is in ALARM',
      trigger: { source: 'alarm', alarmName: 'ghes-primary-health', reason: 'Threshold "crossed"' },
    });
    await world.engine.stopExecution(e!.executionArn, 'TestDone', 'stopped by the test');
    await world.bus.settled();
  });

  it('an enabled function schedule invokes the function asynchronously with its input', async () => {
    const invoked: [string, unknown][] = [];
    const invoke = jest
      .spyOn(world.invoker, 'invoke')
      .mockImplementation((k, e) => (invoked.push([k, e]), 'id'));
    const stop = startSchedules(
      [
        {
          name: 'watch',
          expression: 'rate(1 minute)',
          timezone: 'UTC',
          enabled: true,
          input: {},
          target: { kind: 'function', key: 'actionsSyncWatchUpgrade' },
        },
      ],
      { engine: world.engine, invoker: world.invoker, clock: world.clock, log: () => undefined },
    );
    try {
      await new Promise((r) => setTimeout(r, 150));
    } finally {
      stop();
      invoke.mockRestore();
    }
    expect(invoked.length).toBeGreaterThanOrEqual(1);
    expect(invoked[0]).toEqual(['actionsSyncWatchUpgrade', {}]);
  });
});
