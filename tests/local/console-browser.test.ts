/**
 * The console in a real browser: headless Chromium from the npm registry (@sparticuz/chromium, as
 * tests/github-app/browser.test.ts) driven by playwright-core, against a local stack as npm start
 * wires it (100x faster workflow time). A failover watched in the graph until it succeeds, an
 * approval given from the page, a mail sent over SMTP showing up as a ticket, an agent's reply
 * arriving in the outbox. Screenshots go to test-artifacts/console/ (gitignored).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { deskAddresses } from '../../local/service-desk.js';
import { consoleStack, type ConsoleStack } from '../helpers/local-console.js';
import { smtpSend } from '../helpers/local-desk.js';
import { ROOT } from '../helpers/local-world.js';

const SHOTS = path.join(ROOT, 'test-artifacts', 'console');

let browser: Browser;
let s: ConsoleStack;
let page: Page;
/** Requests the pages made anywhere but the stack (a CDN, a leak): none. */
const offStack: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [browser, s] = await Promise.all([
    launchChromium(),
    // 100x faster, with a short promotion and drain: the failover's loops run a few times, not tens.
    consoleStack({ timeScale: 0.01, sandbox: { durations: { promote: 30, drain: 5 } } }),
  ]);
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // Anything the page loads from elsewhere would be a CDN or a leak: the console serves everything.
  page.on('request', (r) => {
    if (!r.url().startsWith(s.url) && !r.url().startsWith('data:')) offStack.push(r.url());
  });
  await page.goto(s.console.loginUrl(s.url));
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** Opens a workflow's form on the workflows page and starts it; resolves on its execution page. */
async function startFromForm(
  key: string,
  fill: (p: Page) => Promise<void> = async () => undefined,
): Promise<void> {
  await page.goto(`${s.url}/console/?open=${key}`);
  await fill(page);
  await Promise.all([
    page.waitForURL(/\/console\/executions\/failover\/[^/?]+\?flash=started$/),
    page.click(`#start-${key} button[type=submit]`),
  ]);
}

/** The statuses the graph shows now, by state (from the live DOM, as serialized by the browser). */
const graphStatuses = async (): Promise<Record<string, string>> => {
  const svg = (await page.locator('#graph').innerHTML()).replaceAll('&amp;', '&');
  return Object.fromEntries(
    [...svg.matchAll(/data-state="([^"]*)" data-status="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
  );
};

describe('the console in a browser', () => {
  it('a failover started from its form, watched in the graph until it succeeds', async () => {
    await page.goto(`${s.url}/console/`);
    expect(await page.title()).toBe('Workflows · ghes-ops console');
    await shot('1-workflows');
    await startFromForm('failover', async (p) => {
      await p.fill('#start-failover #f-reason', 'browser test: planned failover');
    });
    // Watch: the page refreshes its graph while the execution runs; collect what it showed.
    const seen = new Set<string>();
    let midShot = false;
    for (const end = Date.now() + 60_000; Date.now() < end;) {
      for (const st of Object.values(await graphStatuses())) seen.add(st);
      if (!midShot && seen.has('running')) {
        await shot('2-failover-running');
        midShot = true;
      }
      if ((await page.getAttribute('body', 'data-status')) !== 'RUNNING') break;
      await page.waitForTimeout(100);
    }
    await page.waitForSelector('body[data-status="SUCCEEDED"]');
    await shot('3-failover-succeeded');
    const final = await graphStatuses();
    expect(seen.has('running') || seen.has('waiting')).toBe(true);
    expect(Object.values(final)).not.toContain('running');
    const succeeded = Object.entries(final)
      .filter(([, v]) => v === 'succeeded')
      .map(([k]) => k);
    expect(succeeded.length).toBeGreaterThan(8);
    expect(final.RequestApproval ?? 'not-run').toBe('not-run');
    expect(await page.textContent('#summary')).toContain('SUCCEEDED');
    // The traffic follows the promoted replica.
    expect(s.world.cloud!.record()?.value).toBe('ghe-replica');
  }, 90_000);

  it('an approval given from the page, after the sandbox is reset for the next demo', async () => {
    await page.goto(`${s.url}/console/sandbox`);
    await Promise.all([page.waitForURL(/flash=reset$/), page.click('#reset-form button')]);
    expect(await page.textContent('#appliances')).toMatch(/ghe-replica\s*replica/);
    await shot('4-sandbox-reset');

    await startFromForm('failover', async (p) => {
      await p.selectOption('#start-failover #f-requireApproval', 'true');
      await p.fill('#start-failover #f-name', 'approved-in-browser');
    });
    await page.waitForSelector('#approve-form', { timeout: 20_000 });
    expect(await page.getAttribute('svg.graph g[data-state="RequestApproval"]', 'data-status')).toBe(
      'waiting',
    );
    await shot('5-waiting-for-approval');
    await page.fill('#approve-form #by', 'mona');
    await page.fill('#approve-form #reason', 'change window open');
    await Promise.all([page.waitForURL(/flash=approved$/), page.click('#approve-form button')]);
    await page.waitForSelector('body[data-status="SUCCEEDED"]', { timeout: 60_000 });
    await shot('6-approved-succeeded');
    const d = s.world.engine.listExecutions().find((e) => e.name === 'approved-in-browser')!;
    expect(d.status).toBe('SUCCEEDED');
    expect((d.output as { approval: { by: string; decision?: string } }).approval.by).toBe('mona');
    expect(await graphStatuses()).toMatchObject({ RequestApproval: 'succeeded' });
  }, 90_000);

  it('a mail sent over SMTP shows up as a ticket, live', async () => {
    await page.goto(`${s.url}/console/desk`);
    const to = deskAddresses(s.world.config.serviceDesk!.desk)[0]!;
    await smtpSend(
      s.desk.smtpPort,
      { from: 'alice@example.com', to },
      `From: Alice <alice@example.com>\r\nTo: ${to}\r\nCc: bob@example.com\r\nSubject: Cannot push over SSH\r\nMessage-ID: <ssh-1@example.com>\r\n\r\nPermission denied (publickey).\r\n`,
    );
    // No reload: the page's live part picks the new ticket up.
    await page.waitForSelector('#tickets >> text=Cannot push over SSH', { timeout: 15_000 });
    expect(await page.textContent('#tickets')).toContain('alice@example.com, bob@example.com');
    await page.waitForSelector('#inbound >> text=ticket created acme/support-tickets#', { timeout: 10_000 });
    await shot('7-desk-ticket');
  }, 30_000);

  it("an agent's reply from the ticket page arrives in the outbox", async () => {
    await page.goto(`${s.url}/console/desk`);
    await Promise.all([
      page.waitForURL(/\/console\/desk\/tickets\//),
      page.click('#tickets >> text=acme/support-tickets#'),
    ]);
    expect(await page.textContent('#ticket')).toContain('Permission denied (publickey).');
    await page.fill('#reply', 'Please add your SSH key under Settings, SSH keys.');
    await Promise.all([page.waitForURL(/flash=replied$/), page.click('#reply-form button')]);
    await page.waitForSelector('#ticket >> text=/reply Please add your SSH key', { timeout: 10_000 });
    await shot('8-ticket-replied');

    await page.goto(`${s.url}/console/outbox`);
    const row = page
      .locator('#outbox tr', { hasText: 'bob@example.com' })
      .filter({ hasText: 'Cannot push over SSH' });
    await row.first().waitFor({ timeout: 15_000 });
    await shot('9-outbox');
    const replies = page.locator('#outbox tr', { hasText: 'Cannot push over SSH' });
    await Promise.all([page.waitForURL(/\/console\/outbox\/[^/]+$/), replies.first().locator('a').click()]);
    expect(await page.textContent('#mail-text')).toContain(
      'Please add your SSH key under Settings, SSH keys.',
    );
    await shot('10-outbox-mail');
    expect(offStack).toEqual([]);
  }, 30_000);
});
