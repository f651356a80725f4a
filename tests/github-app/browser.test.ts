/**
 * The whole manifest flow in a real browser: headless Chromium from the npm registry
 * (@sparticuz/chromium ships the binary inside the package, so `npm install` brings it on a machine
 * with no system browser) driven by playwright-core, against the local stack's routes and the
 * sandbox GHES. Screenshots of every page go to test-artifacts/github-app/ (gitignored).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { signWebhook } from '../../local/sandbox/ghes/apps.js';
import { appStack, filesUnder, type AppStack } from '../helpers/github-app.js';
import { ROOT } from '../helpers/local-world.js';

const SHOTS = path.join(ROOT, 'test-artifacts', 'github-app');

let browser: Browser;
let stack: AppStack;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  stack = await appStack();
}, 20_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('GitHub App registration in a browser', () => {
  it('setup page -> GHES create -> credentials stored -> installation page -> install; signed webhook accepted, forged refused', async () => {
    const s = stack;
    const page = await browser.newPage();
    const bodies: string[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(s.url)) bodies.push(`${r.status()} ${r.url()} ${JSON.stringify(r.headers())}`);
    });

    await page.goto(`${s.url}/github-app/setup`);
    await expect(page.title()).resolves.toBe('Register the ghes-ops GitHub App');
    await page.screenshot({ path: path.join(SHOTS, '1-setup.png'), fullPage: true });

    await Promise.all([
      page.waitForURL(`${s.gh.url}/organizations/github/settings/apps/new?state=*`),
      page.click('button[type=submit]'),
    ]);
    await expect(page.inputValue('#app-name')).resolves.toBe('ghes-ops');
    await page.screenshot({ path: path.join(SHOTS, '2-ghes-create.png'), fullPage: true });

    await Promise.all([
      page.waitForURL(/\/github-apps\/ghes-ops\/installations\/new$/),
      page.click('#create'),
    ]);
    await page.screenshot({ path: path.join(SHOTS, '3-install.png'), fullPage: true });
    const app = [...s.gh.apps.apps.values()][0]!;
    expect(app.slug).toBe('ghes-ops');

    await Promise.all([page.waitForSelector('#installed'), page.click('#install')]);
    await page.screenshot({ path: path.join(SHOTS, '4-installed.png'), fullPage: true });
    // GHES sent the signed installation webhook; the stack accepted it.
    expect(s.gh.apps.deliveries.map((d) => [d.event, d.status])).toEqual([['installation', 202]]);

    const body = JSON.stringify({ action: 'opened', issue: { number: 3 } });
    const post = (signature: string) =>
      fetch(`${s.url}/github-app/webhooks`, {
        method: 'POST',
        headers: { 'x-github-event': 'issues', 'x-github-delivery': 'b-1', 'x-hub-signature-256': signature },
        body,
      });
    expect((await post(signWebhook(app.webhookSecret, body))).status).toBe(202);
    expect((await post(signWebhook('forged', body))).status).toBe(401);

    // Credentials: in the parameter store, nowhere else.
    const secrets = [app.clientSecret, app.webhookSecret, app.pem.split('\n')[1]!];
    const store = filesUnder(s.world.config.local.stateDir).find((f) => /parameters-.*\.json$/.test(f.file))!;
    for (const secret of secrets) expect(store.text.includes(secret)).toBe(true);
    const elsewhere = [
      ...s.world.logLines,
      ...bodies,
      await page.content(),
      ...filesUnder(s.world.config.local.stateDir)
        .filter((f) => f.file !== store.file)
        .map((f) => f.text),
    ].join('\n');
    for (const secret of secrets) expect(elsewhere.includes(secret)).toBe(false);
    await page.close();
  }, 20_000);
});
