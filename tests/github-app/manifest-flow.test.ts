import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { buildManifest, requiredPermissions } from '../../shared/github-app/manifest.js';
import { credentialParameter, readCredentials } from '../../shared/github-app/credentials.js';
import {
  createInstallationToken,
  forgetGithubApp,
  githubApp,
  githubAppRegistered,
  installationClient,
  installationTokenProvider,
} from '../../shared/github-app/app-client.js';
import { onWebhook } from '../../shared/github-app/webhooks.js';
import { signWebhook } from '../../local/sandbox/ghes/apps.js';
import type { HttpRequest } from '../../local/http-server.js';
import { appStack, filesUnder, formAction, formValue, type AppStack } from '../helpers/github-app.js';

let stack: AppStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Every response the test saw (status, headers, body), to search for secrets afterwards. */
const seen: string[] = [];
async function get(url: string, init: RequestInit = {}): Promise<Response & { text_: string }> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text_ = await res.text();
  seen.push(`${res.status} ${JSON.stringify([...res.headers])} ${text_}`);
  return Object.assign(res, { text_ });
}

/** Setup page -> GHES new-app page -> create: returns our redirect URL (with code and state). */
async function registerOnGhes(s: AppStack, query = '', name?: string): Promise<URL> {
  const setup = await get(`${s.url}/github-app/setup${query}`);
  expect(setup.status).toBe(200);
  const action = formAction(setup.text_);
  const manifest = formValue(setup.text_, 'manifest');
  const ghesPage = await get(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ manifest }).toString(),
  });
  expect(ghesPage.status).toBe(200);
  const form = new URLSearchParams();
  for (const f of ['manifest', 'state', 'owner', 'owner_type', 'name'])
    form.set(f, formValue(ghesPage.text_, f));
  if (name) form.set('name', name);
  const created = await get(`${s.gh.url}${formAction(ghesPage.text_)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  expect(created.status).toBe(302);
  return new URL(created.headers.get('location')!);
}

const paramFile = (s: AppStack): { parameters: Record<string, { value: string; secure: boolean }> } => {
  const file = filesUnder(s.world.config.local.stateDir).find((f) => /parameters-.*\.json$/.test(f.file));
  return file ? (JSON.parse(file.text) as ReturnType<typeof paramFile>) : { parameters: {} };
};
const credentialNames = (s: AppStack): string[] =>
  Object.keys(paramFile(s).parameters).filter((n) => n.includes('/github-app/credentials/'));

describe('manifest generated from the configuration', () => {
  it('asks for what the enabled features need, and nothing when a feature is off', () => {
    expect(requiredPermissions(['service-desk'])).toEqual({
      permissions: { issues: 'write', metadata: 'read' },
      events: ['issue_comment', 'issues'],
    });
    const both = requiredPermissions(['service-desk', 'actions-sync']).permissions;
    expect(both).toEqual({
      issues: 'write',
      metadata: 'read',
      administration: 'write',
      contents: 'write',
      workflows: 'write',
    });
    const m = buildManifest({
      ghesUrl: 'https://ghes.example.com',
      publicUrl: 'https://abc.execute-api.us-east-1.amazonaws.com',
      name: 'ghes-ops',
      features: ['actions-sync'],
    });
    expect(m).toMatchObject({
      url: 'https://abc.execute-api.us-east-1.amazonaws.com',
      hook_attributes: {
        url: 'https://abc.execute-api.us-east-1.amazonaws.com/github-app/webhooks',
        active: true,
      },
      redirect_url: 'https://abc.execute-api.us-east-1.amazonaws.com/github-app/redirect',
      public: false,
      default_events: [],
    });
    expect(m.default_permissions).not.toHaveProperty('issues');
  });
});

describe('manifest flow against the sandbox GHES', () => {
  it('registers the app for an organization, stores every credential as a SecureString only, and redirects to the installation page', async () => {
    stack = await appStack();
    const s = stack;
    const back = await registerOnGhes(s);
    expect(back.origin + back.pathname).toBe(`${s.url}/github-app/redirect`);
    expect(back.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const done = await get(back.toString());
    expect(done.status).toBe(302);
    const app = [...s.gh.apps.apps.values()][0]!;
    expect(app.owner).toEqual({ login: 'github', type: 'Organization' });
    expect(app.permissions).toMatchObject({ issues: 'write', workflows: 'write' });
    expect(app.events).toEqual(['issue_comment', 'issues']);
    expect(done.headers.get('location')).toBe(`${s.gh.url}/github-apps/${app.slug}/installations/new`);

    const stored = paramFile(s).parameters;
    const prefix = s.world.config.parameterPrefix;
    const expected: Record<string, string> = {
      appId: String(app.id),
      slug: app.slug,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      webhookSecret: app.webhookSecret,
      privateKey: app.pem,
    };
    for (const [field, value] of Object.entries(expected)) {
      const p = stored[credentialParameter(prefix, field as never)];
      expect({ field, value: p?.value, secure: p?.secure }).toEqual({ field, value, secure: true });
    }
    // The state is gone (one-time).
    expect(Object.keys(stored).filter((n) => n.includes('/setup-states/'))).toEqual([]);

    // Nowhere else: logs, responses, other files of the state dir.
    const secrets = [app.clientSecret, app.webhookSecret, app.pem.split('\n')[1]!];
    const elsewhere = [
      ...s.world.logLines,
      ...seen.filter((r) => !r.startsWith('201')), // the conversion itself (GHES -> us) is not fetched here
      ...filesUnder(s.world.config.local.stateDir)
        .filter((f) => !/parameters-.*\.json$/.test(f.file))
        .map((f) => f.text),
    ].join('\n');
    for (const secret of secrets) expect(elsewhere.includes(secret)).toBe(false);
    expect(s.world.logLines.some((l) => l.includes('GitHub App registered'))).toBe(true);
  });

  it('registers for the personal account with ?account=personal', async () => {
    stack = await appStack();
    const back = await registerOnGhes(stack, '?account=personal');
    expect((await get(back.toString())).status).toBe(302);
    expect([...stack.gh.apps.apps.values()][0]!.owner).toEqual({ login: 'ghe-admin', type: 'User' });
  });

  it('refuses an unknown, a reused and an expired state with 400 and stores nothing', async () => {
    stack = await appStack();
    const s = stack;
    const back = await registerOnGhes(s);
    const forged = new URL(back);
    forged.searchParams.set('state', 'A'.repeat(43));
    expect((await get(forged.toString())).status).toBe(400);
    const none = new URL(back);
    none.searchParams.delete('state');
    expect((await get(none.toString())).status).toBe(400);
    expect(credentialNames(s)).toEqual([]);

    expect((await get(back.toString())).status).toBe(302); // the real one, once
    const reused = await get(back.toString());
    expect(reused.status).toBe(400);
    expect(reused.text_).toMatch(/already used/);

    const late = await registerOnGhes(s, '', 'ghes-ops late');
    s.clock.advance(61 * 60 * 1000);
    const before = JSON.stringify(
      paramFile(s).parameters[credentialParameter(s.world.config.parameterPrefix, 'appId')],
    );
    const expired = await get(late.toString());
    expect(expired.status).toBe(400);
    expect(expired.text_).toMatch(/expired/);
    expect(expired.text_).toContain(`${s.url}/github-app/setup`);
    expect(
      JSON.stringify(paramFile(s).parameters[credentialParameter(s.world.config.parameterPrefix, 'appId')]),
    ).toBe(before);
  });

  it('shows the expired-code page when GHES no longer accepts the code', async () => {
    stack = await appStack();
    const s = stack;
    const back = await registerOnGhes(s);
    // The state is still good, but GHES dropped the code (used elsewhere).
    const code = back.searchParams.get('code')!;
    expect(
      (await fetch(`${s.gh.url}/api/v3/app-manifests/${code}/conversions`, { method: 'POST' })).status,
    ).toBe(201);
    const page = await get(back.toString());
    expect(page.status).toBe(410);
    expect(page.text_).toMatch(/expired/);
    expect(page.text_).toMatch(/github-app\/setup/);
    expect(credentialNames(s)).toEqual([]);
  });

  it('sandbox: codes expire after an hour', async () => {
    stack = await appStack();
    const back = await registerOnGhes(stack);
    stack.clock.advance(60 * 60 * 1000 + 1);
    const res = await fetch(
      `${stack.gh.url}/api/v3/app-manifests/${back.searchParams.get('code')}/conversions`,
      { method: 'POST' },
    );
    expect(res.status).toBe(422);
  });
});

describe('webhooks and installation clients', () => {
  async function registered(): Promise<AppStack> {
    stack = await appStack();
    expect((await get((await registerOnGhes(stack)).toString())).status).toBe(302);
    return stack;
  }

  it('accepts the signed installation webhook and routes it; refuses forged, unsigned and other-body requests with 401', async () => {
    const s = await registered();
    const app = [...s.gh.apps.apps.values()][0]!;
    const routed = jest.fn(async () => {});
    onWebhook('issues.opened', routed);
    const inst = await s.gh.apps.install(app.id);
    expect(s.gh.apps.deliveries.at(-1)).toMatchObject({ event: 'installation', status: 202 });
    expect(
      s.world.logLines.some(
        (l) => l.includes('installation changed') && l.includes(`"installationId":${inst.id}`),
      ),
    ).toBe(true);

    const body = JSON.stringify({ action: 'opened', issue: { number: 1 }, installation: { id: inst.id } });
    const send = (b: string, signature?: string) =>
      fetch(`${s.url}/github-app/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': 'd-1',
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body: b,
      });
    expect((await send(body, signWebhook(app.webhookSecret, body))).status).toBe(202);
    expect(routed).toHaveBeenCalledTimes(1);
    // A redelivery of the same X-GitHub-Delivery is acknowledged and not handled again.
    const again = await send(body, signWebhook(app.webhookSecret, body));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, event: 'issues', handled: 0 });
    expect(routed).toHaveBeenCalledTimes(1);
    expect((await send(body, signWebhook('forged-secret', body))).status).toBe(401);
    expect((await send(body)).status).toBe(401);
    const other = body.replace('"number":1', '"number":2');
    expect((await send(other, signWebhook(app.webhookSecret, body))).status).toBe(401);
    expect((await send(body, 'sha256=' + '0'.repeat(64))).status).toBe(401);
    // A malformed signature header is refused like a wrong one.
    expect((await send(body, 'sha1=abc')).status).toBe(401);
    // Signed, but not a JSON object: 400, nothing handled.
    for (const bad of ['{"action":', 'null', '[1]']) {
      const res = await send(bad, signWebhook(app.webhookSecret, bad));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ ok: false, error: 'invalid JSON' });
    }
    expect(routed).toHaveBeenCalledTimes(1);
  });

  it('handles a delivery again when its first handling failed (the delivery id is forgotten)', async () => {
    const s = await registered();
    const app = [...s.gh.apps.apps.values()][0]!;
    let calls = 0;
    onWebhook('issues.closed', async () => {
      calls += 1;
      if (calls === 1) throw new Error('GHES answered 502');
    });
    const body = JSON.stringify({ action: 'closed', issue: { number: 3 } });
    const send = () =>
      fetch(`${s.url}/github-app/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': 'd-retry',
          'x-hub-signature-256': signWebhook(app.webhookSecret, body),
        },
        body,
      });
    expect((await send()).status).toBeGreaterThanOrEqual(500);
    expect((await send()).status).toBe(202);
    expect((await send()).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('builds one cached app from the stored credentials and hands out installation clients', async () => {
    const s = await registered();
    const app = [...s.gh.apps.apps.values()][0]!;
    const inst = await s.gh.apps.install(app.id);
    const deps = s.world.deps;
    const a = await githubApp(deps);
    expect(await githubApp(deps)).toBe(a);
    expect(a.appId).toBe(app.id);
    const { data } = await a.app.octokit.request('GET /app');
    expect(data).toMatchObject({ id: app.id, slug: app.slug });
    const client = await installationClient(deps, inst.id);
    const auth = (await client.auth({ type: 'installation' })) as { token: string };
    const info = s.gh.ghes.authenticate({
      headers: { authorization: `token ${auth.token}` },
    } as unknown as HttpRequest);
    expect(info).toMatchObject({ kind: 'installation', installationId: inst.id, appId: app.id });
    const root = await client.request('GET /');
    expect(root.status).toBe(200);
    forgetGithubApp();
    expect(await githubApp(deps)).not.toBe(a);
    expect((await readCredentials(deps.params, deps.config.parameterPrefix))?.slug).toBe(app.slug);
  });

  it('mints installation tokens for tools (actions-sync app mode): the only installation, or the one named', async () => {
    const s = await registered();
    const app = [...s.gh.apps.apps.values()][0]!;
    const deps = s.world.deps;
    await expect(createInstallationToken(deps)).rejects.toThrow(/not installed anywhere/);
    const inst = await s.gh.apps.install(app.id);
    const minted = await createInstallationToken(deps);
    expect(Date.parse(minted.expiresAt)).toBeGreaterThan(Date.now());
    const info = s.gh.ghes.authenticate({
      headers: { authorization: `token ${minted.token}` },
    } as unknown as HttpRequest);
    expect(info).toMatchObject({ kind: 'installation', installationId: inst.id });
    const named = await createInstallationToken(deps, inst.id);
    expect(named.token).not.toBe(minted.token);
    expect(s.world.logLines.join('\n')).not.toContain(minted.token);
  });

  it('hands REST clients a cached installation token, renewed five minutes before it expires', async () => {
    const s = await registered();
    const app = [...s.gh.apps.apps.values()][0]!;
    const deps = s.world.deps;
    expect(await githubAppRegistered(deps)).toBe(true);
    await s.gh.apps.install(app.id);
    let offset = 0;
    const provider = installationTokenProvider(deps, undefined, () => Date.now() + offset);
    const first = await provider();
    expect(await provider()).toBe(first);
    offset = 56 * 60_000;
    expect(await provider()).not.toBe(first);
  });

  it('says how to register when no app is stored, and the webhook endpoint answers 503', async () => {
    stack = await appStack();
    await expect(githubApp(stack.world.deps)).rejects.toThrow(/ghes-ops app setup/);
    const res = await fetch(`${stack.url}/github-app/webhooks`, {
      method: 'POST',
      headers: { 'x-github-event': 'ping', 'x-hub-signature-256': 'sha256=00' },
      body: '{}',
    });
    expect(res.status).toBe(503);
  });
});

describe('sandbox app JWT', () => {
  it('refuses a JWT signed by another key and an expired one', async () => {
    stack = await appStack();
    expect((await get((await registerOnGhes(stack)).toString())).status).toBe(302);
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const jwt = (key: import('node:crypto').KeyObject, iat: number, exp: number): string => {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const head = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ iss: 1, iat, exp })}`;
      return `${head}.${sign('RSA-SHA256', Buffer.from(head), key).toString('base64url')}`;
    };
    const now = Math.floor(Date.now() / 1000);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const res = await fetch(`${stack.gh.url}/api/v3/app`, {
      headers: { authorization: `Bearer ${jwt(other, now, now + 60)}` },
    });
    expect(res.status).toBe(401);
    const { createPrivateKey } = await import('node:crypto');
    const mine = createPrivateKey([...stack.gh.apps.apps.values()][0]!.pem);
    expect(
      (
        await fetch(`${stack.gh.url}/api/v3/app`, {
          headers: { authorization: `Bearer ${jwt(mine, now - 30, now + 500)}` },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await fetch(`${stack.gh.url}/api/v3/app`, {
          headers: { authorization: `Bearer ${jwt(mine, now - 700, now - 100)}` },
        })
      ).status,
    ).toBe(401);
  });
});
