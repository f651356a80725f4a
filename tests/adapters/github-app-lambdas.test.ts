/**
 * The deployed path: the GitHub App Lambdas (HTTP API payload 2.0) with their AWS adapters, SSM and
 * DynamoDB mocked at the command level (aws-sdk-client-mock), against the sandbox GHES on loopback.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Sandbox } from '../../local/sandbox/sandbox.js';
import { signWebhook } from '../../local/sandbox/ghes/apps.js';
import { startGithubAppSandbox, type GithubAppSandbox } from '../../local/github-app-world.js';
import { scaledClock } from '../../shared/clock.js';
import { formAction, formValue } from '../helpers/github-app.js';
import { FakeRecordsTable } from '../helpers/fake-records-table.js';

const PREFIX = '/ghes-ops/dev';
const ssm = mockClient(SSMClient);
const stored = new Map<string, { Value: string; Type: string }>();
const ddb = mockClient(DynamoDBClient);
const TABLE = 'ghes-ops-dev-records';
const table = new FakeRecordsTable(TABLE);
const items = table.items;
let gh: GithubAppSandbox;
const out: string[] = [];

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
let setup: Handler;
let redirect: Handler;
let webhook: Handler;

const event = (method: string, rawQueryString = '', body?: string, headers: Record<string, string> = {}) => ({
  version: '2.0',
  rawPath: '/',
  rawQueryString,
  headers,
  requestContext: { http: { method } },
  ...(body !== undefined ? { body, isBase64Encoded: false } : {}),
});
const ctx = { awsRequestId: 'req-1' };

beforeAll(async () => {
  gh = await startGithubAppSandbox(new Sandbox({ clock: scaledClock(0.001) }));
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    GHES_OPS_PRIMARY: 'i-00000000000000000',
    GHES_OPS_MAIL_FROM: 'ghes-ops <ghes-ops@example.com>',
    GHES_OPS_PARAMETER_PREFIX: PREFIX,
    GHES_OPS_GHES_URL: gh.url,
    GHES_OPS_PUBLIC_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com',
    GHES_OPS_APP_ORG: 'github',
    GHES_OPS_APP_FEATURES: 'service-desk',
    GHES_OPS_RECORDS_TABLE: TABLE,
  });
  // The records table: conditional create and atomic take, evaluated as DynamoDB does them.
  table.install(ddb);
  ssm
    .on(PutParameterCommand)
    .callsFake((input: { Name: string; Value: string; Type: string; Overwrite: boolean }) => {
      if (!input.Overwrite && stored.has(input.Name)) throw new Error('unexpected overwrite');
      stored.set(input.Name, { Value: input.Value, Type: input.Type });
      return { Version: 1 };
    });
  ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
    const p = stored.get(input.Name);
    if (!p) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
    return { Parameter: { Name: input.Name, ...p } };
  });
  ssm.on(DeleteParameterCommand).callsFake((input: { Name: string }) => {
    stored.delete(input.Name);
    return {};
  });
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  ({ handler: setup } = (await import('../../functions/github-app/setup-page.js')) as unknown as {
    handler: Handler;
  });
  ({ handler: redirect } = (await import('../../functions/github-app/redirect.js')) as unknown as {
    handler: Handler;
  });
  ({ handler: webhook } = (await import('../../functions/github-app/webhook.js')) as unknown as {
    handler: Handler;
  });
});

afterAll(async () => {
  jest.restoreAllMocks();
  await gh.close();
});

describe('GitHub App Lambdas with SSM', () => {
  it('setup -> GHES -> redirect stores six SecureStrings; the webhook verifies with the stored secret', async () => {
    const page = await setup(event('GET'), ctx);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    // The one-time state: a conditional create in the records table, expiring in an hour.
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
    const statePut = ddb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(statePut).toMatchObject({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
    });
    const stateKey = statePut.Item!.pk!.S!;
    expect(stateKey).toMatch(new RegExp(`^${PREFIX}/github-app/setup-states/[A-Za-z0-9_-]{43}$`));
    expect(Number(statePut.Item!.ttl!.N) - Math.floor(Date.now() / 1000)).toBeGreaterThan(3500);
    const manifest = JSON.parse(formValue(page.body, 'manifest')) as {
      hook_attributes: { url: string };
      default_permissions: object;
    };
    expect(manifest.hook_attributes.url).toBe(
      'https://abc123.execute-api.us-east-1.amazonaws.com/github-app/webhooks',
    );
    expect(manifest.default_permissions).toEqual({ issues: 'write', metadata: 'read' });

    // The browser's part, against the sandbox GHES.
    const ghesPage = await (
      await fetch(formAction(page.body), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ manifest: JSON.stringify(manifest) }).toString(),
      })
    ).text();
    const form = new URLSearchParams();
    for (const f of ['manifest', 'state', 'owner', 'owner_type', 'name']) form.set(f, formValue(ghesPage, f));
    const created = await fetch(`${gh.url}${formAction(ghesPage)}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const back = new URL(created.headers.get('location')!);
    expect(back.pathname).toBe('/github-app/redirect');

    ssm.resetHistory();
    ddb.resetHistory();
    const done = await redirect(event('GET', back.search.slice(1)), ctx);
    expect(done.statusCode).toBe(302);
    const app = [...gh.apps.apps.values()][0]!;
    expect(done.headers.location).toBe(`${gh.url}/github-apps/${app.slug}/installations/new`);
    // Taken atomically (DeleteItem returning the old item): a racing replay cannot use it too.
    expect(ddb).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: stateKey } },
      ReturnValues: 'ALL_OLD',
    });
    expect(items.has(stateKey)).toBe(false);
    const puts = ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input);
    const base = `${PREFIX}/github-app/credentials`;
    expect(puts).toEqual([
      { Name: `${base}/slug`, Value: app.slug, Type: 'SecureString', Overwrite: true },
      { Name: `${base}/client-id`, Value: app.clientId, Type: 'SecureString', Overwrite: true },
      { Name: `${base}/client-secret`, Value: app.clientSecret, Type: 'SecureString', Overwrite: true },
      { Name: `${base}/webhook-secret`, Value: app.webhookSecret, Type: 'SecureString', Overwrite: true },
      { Name: `${base}/private-key`, Value: app.pem, Type: 'SecureString', Overwrite: true },
      { Name: `${base}/app-id`, Value: String(app.id), Type: 'SecureString', Overwrite: true },
    ]);

    // Replaying the redirect: the state is gone, nothing more is stored.
    ssm.resetHistory();
    expect((await redirect(event('GET', back.search.slice(1)), ctx)).statusCode).toBe(400);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);

    const body = JSON.stringify({ action: 'created', installation: { id: 7, account: { login: 'github' } } });
    const hook = (b: string, sig: string) =>
      webhook(
        event('POST', '', b, {
          'x-github-event': 'installation',
          'x-github-delivery': 'd-1',
          'x-hub-signature-256': sig,
        }),
        ctx,
      );
    expect((await hook(body, signWebhook(app.webhookSecret, body))).statusCode).toBe(202);
    expect(items.has(`${PREFIX}/github-app/deliveries/d-1`)).toBe(true);
    // GitHub's redelivery of d-1: acknowledged, not handled twice.
    const redelivered = await hook(body, signWebhook(app.webhookSecret, body));
    expect([redelivered.statusCode, JSON.parse(redelivered.body)]).toEqual([
      200,
      { ok: true, event: 'installation', handled: 0 },
    ]);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: `${base}/private-key`,
      WithDecryption: true,
    });
    expect((await hook(body, signWebhook('nope', body))).statusCode).toBe(401);
    expect((await hook(body.replace('7', '8'), signWebhook(app.webhookSecret, body))).statusCode).toBe(401);
    // base64-encoded bodies (HTTP API does this for non-text types) verify on the decoded bytes.
    const b64 = {
      ...event('POST', '', Buffer.from(body).toString('base64'), {
        'x-github-event': 'installation',
        'x-hub-signature-256': signWebhook(app.webhookSecret, body),
      }),
      isBase64Encoded: true,
    };
    expect((await webhook(b64, ctx)).statusCode).toBe(202);

    const logs = out.join('');
    expect(logs).toMatch(/GitHub App registered/);
    for (const secret of [app.clientSecret, app.webhookSecret, app.pem.split('\n')[1]!]) {
      expect(logs.includes(secret)).toBe(false);
      expect(done.body.includes(secret) || JSON.stringify(done.headers).includes(secret)).toBe(false);
    }
  });
});
