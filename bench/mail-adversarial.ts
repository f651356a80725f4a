/**
 * Hostile mail benchmark (issue 14): each adversarial family at 10 KB, 100 KB and 1 MB through the
 * whole CPU path of the service desk's ingest (parse -> filter -> route -> quoted-history strip ->
 * ticket body), printing the time per input. Targets: linear growth (100 KB -> 1 MB at most 20x,
 * i.e. 10x size with room for noise; below 2 ms counts as 2 ms) and 1 MB under one second. Each input runs in a worker thread
 * that is terminated after 20 s, so a super-linear parser shows as OVER instead of hanging.
 * Run: node --import tsx bench/mail-adversarial.ts [family...]
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { parseDeskConfig } from '../shared/service-desk/config.js';
import { filterMail } from '../shared/service-desk/filter.js';
import { parseMail } from '../shared/service-desk/parse.js';
import { routeMail } from '../shared/service-desk/route.js';
import { stripQuoted } from '../shared/service-desk/strip.js';

const SIZES = [10 * 1024, 100 * 1024, 1024 * 1024];
const TIMEOUT_MS = 20_000;
const TO = 'support+acme-support-1-issue-@desk.localhost';

const repeat = (unit: string, size: number): string =>
  unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
const mail = (headers: string, contentType: string, body: string): string =>
  `From: Mallory <mallory@example.com>\r\nTo: ${TO}\r\nSubject: hostile\r\nMessage-ID: <hostile@example.com>\r\n${headers}MIME-Version: 1.0\r\nContent-Type: ${contentType}; charset=utf-8\r\n\r\n${body}\r\n`;
const html = (body: string): string => mail('', 'text/html', body);

/** The families: name -> raw message of about `size` bytes. */
const FAMILIES: Record<string, (size: number) => string> = {
  'unterminated <a href="x"': (n) => html(repeat('<a href="x" ', n)),
  'unclosed <p': (n) => html(repeat('<p', n)),
  'nested tags': (n) =>
    html(repeat('<div><b><i><a href="https://e.x/">', n / 2) + repeat('</a></i></b></div>', n / 2)),
  'long attributes': (n) =>
    html(`<a href="https://e.x/${repeat('a', n / 2)}" title="${repeat('"x=', n / 2)}">x</a>`),
  'entities and mentions': (n) => html(repeat('@&#4;octocat &eacute;&#x40;&amp;lt;', n)),
  // Header values are read up to 100,000 characters: larger sizes use more headers.
  'X-Original-To (+verify)': (n) => {
    const count = Math.max(3, Math.ceil(n / 90_000));
    return mail(
      Array.from(
        { length: count },
        () => `X-Original-To: a+verify@${repeat(`${'a'.repeat(63)}.`, n / count)}-\r\n`,
      ).join(''),
      'text/plain',
      'hello',
    );
  },
  'X-Original-To (desk key)': (n) =>
    mail(
      [0, 1, 2].map(() => `X-Original-To: ${repeat('support+acme.', n / 3)}@desk.localhost\r\n`).join(''),
      'text/plain',
      'hello',
    ),
  'huge header (folded)': (n) =>
    mail(`Received: ${repeat('from x by y;\r\n\t', n)}\r\n`, 'text/plain', 'hello'),
  'huge header (spaces)': (n) => mail(`X-Junk: ${repeat(' ', n)}x\r\n`, 'text/plain', repeat(' \t', 1000)),
  // Not one of the issue's families: 60,000 short lines cost postal-mime's pass-through decoder
  // (a Blob part per line) about 5 µs each, linear but slow; reported, not counted as a failure.
  'plain text, short lines*': (n) => mail('', 'text/plain', repeat('On x wrote:\n> --\n', n)),
  'whitespace runs in HTML': (n) => html(repeat(' ', n) + 'x'),
};

const desk = parseDeskConfig(
  {
    local: 'support',
    domain: 'desk.localhost',
    publicUrl: 'http://127.0.0.1:1/service-desk',
    projects: [{ slug: 'acme-support', id: 1, repo: 'acme/support-tickets', reopen: true }],
  },
  'bench',
);

async function runOne(family: string, size: number): Promise<number> {
  const raw = Buffer.from(FAMILIES[family]!(size), 'utf8');
  const started = performance.now();
  const m = await parseMail(raw, { maxMessageBytes: 30 * 1024 * 1024, maxAttachmentBytes: 10 * 1024 * 1024 });
  filterMail(m, desk);
  routeMail(m, desk, [TO]);
  stripQuoted(m.body);
  return performance.now() - started;
}

if (!isMainThread) {
  const { family, size } = workerData as { family: string; size: number };
  parentPort!.postMessage(await runOne(family, size));
} else {
  const only = process.argv.slice(2);
  const file = fileURLToPath(import.meta.url);
  const measure = (family: string, size: number): Promise<number | undefined> =>
    new Promise((resolve, reject) => {
      const w = new Worker(file, { workerData: { family, size }, execArgv: ['--import', 'tsx'] });
      const timer = setTimeout(() => void w.terminate().then(() => resolve(undefined)), TIMEOUT_MS);
      w.once('message', (ms: number) => {
        clearTimeout(timer);
        void w.terminate().then(() => resolve(ms));
      });
      w.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  const fmt = (ms: number | undefined): string =>
    ms === undefined ? `>${TIMEOUT_MS / 1000} s` : `${ms.toFixed(1)} ms`;
  console.log(
    `hostile mail through parse -> filter -> route -> strip; HTML bodies through htmlToMarkdown; ms per input`,
  );
  console.log(
    `${'family'.padEnd(30)}${'10 KB'.padStart(12)}${'100 KB'.padStart(12)}${'1 MB'.padStart(12)}  1MB/100KB  verdict`,
  );
  let over = 0;
  for (const family of Object.keys(FAMILIES).filter((f) => !only.length || only.some((o) => f.includes(o)))) {
    const times: (number | undefined)[] = [];
    for (const size of SIZES) {
      const ms = times.includes(undefined) ? undefined : await measure(family, size);
      times.push(ms);
    }
    const [, t100, t1m] = times;
    const ratio = t100 !== undefined && t1m !== undefined ? t1m / Math.max(t100, 2) : undefined;
    const ok = t1m !== undefined && t1m < 1000 && ratio !== undefined && ratio <= 20;
    if (!ok && !family.endsWith('*')) over += 1;
    console.log(
      `${family.padEnd(30)}${times.map((t) => fmt(t).padStart(12)).join('')}  ${(ratio === undefined ? '-' : `${ratio.toFixed(1)}x`).padStart(9)}  ${ok ? 'ok' : 'OVER'}`,
    );
  }
  console.log(
    over
      ? `${over} famil${over === 1 ? 'y' : 'ies'} OVER (target: 1 MB < 1 s, linear growth)`
      : 'all ok: 1 MB < 1 s, linear growth',
  );
  if (over) process.exitCode = 1;
}
