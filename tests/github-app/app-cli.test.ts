import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appCommand } from '../../local/cli/app.js';
import { FileParameterStore } from '../../local/adapters/file-parameter-store.js';
import { readCredentials } from '../../shared/github-app/credentials.js';
import { forgetGithubApp } from '../../shared/github-app/app-client.js';
import { appStack, registeredAppStack, type AppStack } from '../helpers/github-app.js';

let stack: AppStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function registered(): Promise<AppStack> {
  return (stack = await registeredAppStack());
}

const run = async (s: AppStack, args: string[], params = s.world.deps.params) => {
  const lines: string[] = [];
  const code = await appCommand(args, s.world.config, { out: (l) => lines.push(l), params });
  return { code, text: lines.join('\n') };
};

describe('ghes-ops app', () => {
  it('setup prints the setup URL of the local or a deployed stack', async () => {
    const s = (stack = await appStack());
    expect((await run(s, ['setup'])).text.split('\n')[0]).toBe(`${s.url}/github-app/setup`);
    const deployed = await run(s, [
      'setup',
      '--url',
      'https://x.execute-api.eu-west-1.amazonaws.com/',
      '--personal',
    ]);
    expect(deployed.text.split('\n')[0]).toBe(
      'https://x.execute-api.eu-west-1.amazonaws.com/github-app/setup?account=personal',
    );
  });

  it('status shows the app, its installations and what each feature misses, without secrets', async () => {
    const s = await registered();
    const app = [...s.gh.apps.apps.values()][0]!;
    const before = await run(s, ['status']);
    expect(before.code).toBe(1);
    expect(before.text).toMatch(/not installed/);
    const inst = await s.gh.apps.install(app.id);
    const ok = await run(s, ['status']);
    expect(ok.code).toBe(0);
    expect(ok.text).toContain(`app ${app.id} ${app.slug}`);
    expect(ok.text).toMatch(/service-desk on github: ok/);
    expect(ok.text).toMatch(/actions-sync on github: ok/);

    delete inst.permissions.workflows; // an owner declined the new permission
    forgetGithubApp();
    const missing = await run(s, ['status']);
    expect(missing.code).toBe(1);
    expect(missing.text).toMatch(/actions-sync on github: MISSING workflows:write \(granted none\)/);
    expect(missing.text).toMatch(/fix: /);
    const json = JSON.parse((await run(s, ['status', '--json'])).text) as {
      features: { feature: string; installations: { missing: unknown[] }[] }[];
    };
    expect(json.features.find((f) => f.feature === 'service-desk')!.installations[0]!.missing).toEqual([]);
    for (const secret of [app.clientSecret, app.webhookSecret, app.pem.split('\n')[1]!])
      expect(`${before.text}${ok.text}${missing.text}`.includes(secret)).toBe(false);
  });

  it('import checks the key against GHES, then stores the credentials; a wrong key stores nothing', async () => {
    const s = await registered();
    const app = [...s.gh.apps.apps.values()][0]!;
    const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-import-'));
    writeFileSync(path.join(dir, 'key.pem'), app.pem, { mode: 0o600 });
    writeFileSync(path.join(dir, 'secret'), `${app.webhookSecret}\n`, { mode: 0o600 });
    const other = new FileParameterStore(path.join(dir, 'params.json'));
    const args = [
      'import',
      '--id',
      String(app.id),
      '--key-file',
      path.join(dir, 'key.pem'),
      '--webhook-secret-file',
      path.join(dir, 'secret'),
    ];
    const res = await run(s, args, other);
    expect(res.code).toBe(0);
    expect(res.text).toContain(`Imported app ${app.id} (${app.slug})`);
    expect(res.text.includes(app.webhookSecret) || res.text.includes(app.pem.split('\n')[1]!)).toBe(false);
    const creds = await readCredentials(other, s.world.config.parameterPrefix);
    expect(creds).toMatchObject({
      appId: app.id,
      slug: app.slug,
      clientId: app.clientId,
      webhookSecret: app.webhookSecret,
      privateKey: app.pem,
    });
    expect(await other.isSecure(`${s.world.config.parameterPrefix}/github-app/credentials/private-key`)).toBe(
      true,
    );

    const wrong = new FileParameterStore(path.join(dir, 'wrong.json'));
    const bad = await run(s, ['import', '--id', String(app.id + 1), ...args.slice(3)], wrong);
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(/Nothing was stored/);
    expect(await readCredentials(wrong, s.world.config.parameterPrefix)).toBeUndefined();
  });
});
