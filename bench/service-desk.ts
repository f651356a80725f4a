/**
 * Service desk benchmark through the local stack: 1,000 messages at concurrency 20 from an SMTP
 * client to tickets in the sandbox GHES; p50/p99 from SMTP accept to ticket; peak memory of a
 * 25 MB message; a bare SMTP sink's throughput on the same machine and the ratio.
 * Run: node --import tsx bench/service-desk.ts
 */
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../local/config.js';
import { defaultDeskSettings, LocalServiceDesk } from '../local/service-desk.js';
import { createLocalWorld } from '../local/world.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const N = Number(process.env.BENCH_MESSAGES ?? 1000);
const CONCURRENCY = 20;
const TO = 'support+acme-support-1-issue-@desk.localhost';
const message = (i: number, extra = ''): string =>
  `From: customer${i}@example.com\r\nTo: ${TO}\r\nSubject: Bench ticket ${i}\r\nMessage-ID: <bench-${i}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, this is message ${i}.\r\n${extra}`;

async function blast(port: number, total: number, make: (i: number) => string): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const t = nodemailer.createTransport({
        host: '127.0.0.1',
        port,
        secure: false,
        ignoreTLS: true,
        pool: true,
        maxConnections: 1,
      });
      while (next < total) {
        const i = next++;
        await t.sendMail({ envelope: { from: `customer${i}@example.com`, to: [TO] }, raw: make(i) });
      }
      t.close();
    }),
  );
  return performance.now() - start;
}

const pct = (a: number[], p: number): number =>
  a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))] ?? NaN;

async function main(): Promise<void> {
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  const settings = defaultDeskSettings('http://127.0.0.1:1');
  settings.smtp.port = 0;
  settings.sandboxGhes.port = 0;
  // The local stack as npm start runs it (SES stand-in -> serviceDeskReceive), state in memory.
  const config = defaultConfig(ROOT);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-bench-'));
  config.local.stateDir = stateDir;
  config.local.timeScale = 0.001;
  const world = createLocalWorld({ root: ROOT, config, inMemory: true });
  const desk = new LocalServiceDesk({
    world,
    settings,
    onOutcome: (o, acceptedAt) => {
      latencies.push(Date.now() - acceptedAt);
      outcomes.set(o.action, (outcomes.get(o.action) ?? 0) + 1);
    },
  });
  const { smtpPort } = await desk.start();
  const started = performance.now();
  const sendMs = await blast(smtpPort, N, (i) => message(i));
  await desk.settled();
  // Throughput is SMTP send start to the last ticket: the accepted mail still queued when the
  // last 250 was sent counts too.
  const endToEnd = performance.now() - started;
  const repo = desk.issues.repo('acme/support-tickets')!;
  const titles = new Set(repo.issues.map((i) => i.title));
  latencies.sort((a, b) => a - b);
  const created = outcomes.get('created') ?? 0;
  const issueCount = repo.issues.length;

  // Peak memory of one 25 MB message (base64 attachment).
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const big = Buffer.alloc(18 * 1024 * 1024, 7)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n');
  const bigMail = `From: big@example.com\r\nTo: ${TO}\r\nSubject: Big\r\nMessage-ID: <big@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nlarge\r\n--b\r\nContent-Type: application/octet-stream; name="big.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${big}\r\n--b--\r\n`;
  await blast(smtpPort, 1, () => bigMail);
  await desk.settled();
  clearInterval(sampler);
  await desk.close();
  await world.close();
  rmSync(stateDir, { recursive: true, force: true });

  // Bare SMTP sink on the same machine.
  const sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (s, _x, cb) => {
      s.on('data', () => undefined);
      s.on('end', () => cb());
    },
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const sinkPort = (sink as unknown as { server: { address(): { port: number } } }).server.address().port;
  const sinkMs = await blast(sinkPort, N, (i) => message(i));
  await new Promise<void>((r) => sink.close(() => r()));

  const rate = (N / endToEnd) * 1000;
  const sinkRate = (N / sinkMs) * 1000;
  const lost = N - titles.size;
  const duplicated = issueCount - titles.size;
  const p99 = pct(latencies, 99);
  console.log(`service desk: ${N} messages, concurrency ${CONCURRENCY}`);
  console.log(
    `  tickets created ${created}, distinct ${titles.size}, lost ${lost}, duplicated ${duplicated}`,
  );
  console.log(
    `  throughput ${rate.toFixed(0)} msg/s (SMTP send to last ticket ${endToEnd.toFixed(0)} ms; the SMTP sends alone ${sendMs.toFixed(0)} ms)`,
  );
  console.log(`  latency accept->ticket p50 ${pct(latencies, 50)} ms, p99 ${p99} ms`);
  console.log(
    `  25 MB message: peak RSS +${((peak - before) / 1048576).toFixed(0)} MB (RSS ${(peak / 1048576).toFixed(0)} MB)`,
  );
  console.log(
    `  bare SMTP sink ${sinkRate.toFixed(0)} msg/s; service desk / sink = ${(rate / sinkRate).toFixed(2)}`,
  );
  const target = (what: string, figure: string, ok: boolean): void =>
    console.log(`  target ${what}: ${figure} ${ok ? 'ok' : 'OVER'}`);
  target('throughput >= 0.5 of the bare sink', (rate / sinkRate).toFixed(2), rate / sinkRate >= 0.5);
  target(`p99 accept->ticket < 250 ms at concurrency ${CONCURRENCY}`, `${p99} ms`, p99 < 250);
  target('0 lost, 0 duplicated', `${lost} lost, ${duplicated} duplicated`, lost === 0 && duplicated === 0);
  if (created !== N || issueCount !== titles.size) process.exitCode = 1;
}

await main();
