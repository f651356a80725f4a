import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { defaultConfig } from '../../local/config.js';
import { defaultDeskSettings, LocalServiceDesk } from '../../local/service-desk.js';
import { createLocalWorld, type LocalWorld } from '../../local/world.js';
import { ROOT } from '../helpers/local-world.js';
import { smtpSend } from '../helpers/local-desk.js';

const TO = 'support+acme-support-1-issue-@desk.localhost';

/** A world with its state on disk in `stateDir`, and the desk on ephemeral ports. */
async function persistentDesk(stateDir: string): Promise<{ world: LocalWorld; desk: LocalServiceDesk }> {
  const config = defaultConfig(ROOT);
  config.local.stateDir = stateDir;
  config.local.timeScale = 0.001;
  const world = createLocalWorld({ root: ROOT, config, inMemory: false });
  const settings = defaultDeskSettings('http://127.0.0.1:1');
  settings.smtp.port = 0;
  settings.sandboxGhes.port = 0;
  const desk = new LocalServiceDesk({ world, settings });
  await desk.start();
  return { world, desk };
}

async function send(port: number, raw: string, to = TO, from = 'customer@example.com'): Promise<void> {
  await smtpSend(port, { from, to }, raw);
}

/** Issues in the sandbox GHES journal, the last state of each. */
function journalIssues(stateDir: string): { id: number; title: string; comments: { body: string }[] }[] {
  const file = path.join(stateDir, 'sandbox-ghes', 'issues.jsonl');
  const byId = new Map<number, { id: number; title: string; comments: { body: string }[] }>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const l = JSON.parse(line) as { issue?: { id: number; title: string; comments: { body: string }[] } };
    if (l.issue) byId.set(l.issue.id, l.issue);
  }
  return [...byId.values()];
}

describe('a restart keeps tickets and replies together', () => {
  it('a reply sent after a restart lands on the same ticket (tickets and records both kept in the state dir)', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'desk-restart-'));
    let { world, desk } = await persistentDesk(stateDir);
    await send(
      desk.smtpPort,
      `From: Alice <alice@example.com>\r\nTo: ${TO}\r\nSubject: Printer on fire\r\nMessage-ID: <fire-1@example.com>\r\n\r\nHelp.\r\n`,
      TO,
      'alice@example.com',
    );
    await desk.settled();
    const replyTo = world.outbox!.sent.find((m) => m.to[0] === 'alice@example.com')!.replyTo!;
    await desk.close();
    await world.close();

    ({ world, desk } = await persistentDesk(stateDir));
    try {
      await send(
        desk.smtpPort,
        `From: alice@example.com\r\nTo: ${replyTo}\r\nSubject: Re: Printer on fire\r\nMessage-ID: <fire-2@example.com>\r\n\r\nStill burning.\r\n`,
        replyTo,
        'alice@example.com',
      );
      await desk.settled();
      const issues = desk.issues.repo('acme/support-tickets')!.issues;
      expect(issues.map((i) => i.title)).toEqual(['Printer on fire']);
      expect(issues[0]!.comments.map((c) => c.body)).toEqual([expect.stringContaining('Still burning.')]);
    } finally {
      await desk.close();
      await world.close();
    }
  });
});

/** `ghes-ops start` as a user runs it, with its state in `stateDir` and every port ephemeral. */
function startStack(
  stateDir: string,
): Promise<{ child: ChildProcess; smtpPort: number; httpUrl: string; out: string[] }> {
  const configFile = path.join(stateDir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      stateDir,
      timeScale: 0.01,
      http: { port: 0 },
      serviceDesk: { smtp: { port: 0 } },
      githubApp: { ghesUrl: 'http://127.0.0.1:0' },
    }),
  );
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'ghes-ops.mjs'), 'start', '--config', configFile],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  const out: string[] = [];
  return new Promise((resolve, reject) => {
    let smtpPort = 0;
    const timer = setTimeout(() => reject(new Error(`stack did not start:\n${out.join('')}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      out.push(chunk.toString());
      const text = out.join('');
      smtpPort ||= Number(/service desk: SMTP 127\.0\.0\.1:(\d+)/.exec(text)?.[1] ?? 0);
      const http = /http:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
      if (smtpPort && http && text.includes('Ctrl-C stops.')) {
        clearTimeout(timer);
        resolve({ child, smtpPort, httpUrl: http, out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`stack exited ${code}:\n${out.join('')}`)));
  });
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));

describe('stopping under load loses nothing', () => {
  it('600 mails from 16 senders, SIGTERM mid-burst, restart: accepted = tickets, nothing in the failed spool', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'desk-sigterm-'));
    const first = await startStack(stateDir);
    const N = 600;
    let next = 0;
    const accepted = new Set<number>();
    let refused = 0;
    let stopped = false;
    const senders = Array.from({ length: 16 }, async () => {
      const t = nodemailer.createTransport({
        host: '127.0.0.1',
        port: first.smtpPort,
        secure: false,
        ignoreTLS: true,
        pool: true,
        maxConnections: 1,
      });
      while (next < N) {
        const i = next++;
        try {
          await t.sendMail({
            envelope: { from: `customer${i}@example.com`, to: [TO] },
            raw: `From: customer${i}@example.com\r\nTo: ${TO}\r\nSubject: Load ticket ${i}\r\nMessage-ID: <load-${i}@example.com>\r\n\r\nHello ${i}.\r\n`,
          });
          accepted.add(i);
        } catch {
          refused += 1; // 421 while stopping, or the connection closed: the sender keeps the mail
        }
        if (!stopped && accepted.size >= 150) {
          stopped = true;
          first.child.kill('SIGTERM');
        }
      }
      t.close();
    });
    await Promise.all(senders);
    await exited(first.child);
    const log = first.out.join('');
    expect(log).toContain('SIGTERM: stopping');
    expect(accepted.size + refused).toBe(N);
    expect(accepted.size).toBeGreaterThanOrEqual(150);
    expect(refused).toBeGreaterThan(0);

    // Restart: whatever was accepted and not finished is re-ingested; the failed spool retried.
    const second = await startStack(stateDir);
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const spools = (await (await fetch(`${second.httpUrl}/desk/spools`)).json()) as {
          incoming: string[];
          failed: unknown[];
        };
        const tickets = journalIssues(stateDir).filter((i) => i.title.startsWith('Load ticket'));
        if ((spools.incoming.length === 0 && tickets.length >= accepted.size) || Date.now() > deadline) {
          expect(spools).toMatchObject({ incoming: [], failed: [], held: [] });
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
    const tickets = journalIssues(stateDir).filter((i) => i.title.startsWith('Load ticket'));
    const titles = new Set(tickets.map((t) => t.title));
    // Every accepted mail is a ticket, exactly once; no drops (distinct senders, no burst).
    expect(titles.size).toBe(tickets.length);
    expect([...accepted].every((i) => titles.has(`Load ticket ${i}`))).toBe(true);
    expect(tickets.length).toBe(accepted.size);
    const failedDir = path.join(stateDir, 'failed', 'serviceDeskReceive');
    expect(existsSync(failedDir) ? readdirSync(failedDir) : []).toEqual([]);
  }, 180_000);
});
