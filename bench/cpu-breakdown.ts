/**
 * Where a benchmark's CPU goes: an in-process V8 CPU profile (node:inspector's Profiler) of a
 * stretch of the run, its samples attributed to categories by the script each sampled frame
 * belongs to. A sample in Node's own code (streams, sockets, timers, fetch) counts for the nearest
 * caller that has a category (e.g. a socket write from smtp-server counts as the SMTP server); a
 * sample with no such caller is Node's event loop. Only the main thread is sampled; the process's
 * CPU (all threads: GC helpers, the libuv pool) is measured alongside with process.cpuUsage.
 */
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A category of CPU: what it is, and whether it runs in AWS on the desk's path or only locally. */
export interface Category {
  key: string;
  label: string;
  /**
   * `desk`: the desk's own path, which runs in the receive function in AWS too. `local`: a local
   * stand-in for something that runs elsewhere in AWS (SES, the Lambda service, the GHES appliance).
   * `bench`: the benchmark's own SMTP client and harness. `runtime`: V8 and Node (GC, the event
   * loop), spent for all of the above.
   */
  side: 'desk' | 'local' | 'bench' | 'runtime';
}

/** Categories in the order they are tested (first match wins) and printed. */
export const CATEGORIES: readonly Category[] = [
  { key: 'smtpClient', label: 'SMTP client (nodemailer, the bench sender)', side: 'bench' },
  { key: 'smtpServer', label: 'SES inbound stand-in (smtp-server, local/ses-inbound)', side: 'local' },
  {
    key: 'engine',
    label: 'local Lambda engine and async invoke (local/engine, async-invoke)',
    side: 'local',
  },
  {
    key: 'standIns',
    label: 'local adapters (record journal, outbox mailer, raw mail, parameters)',
    side: 'local',
  },
  { key: 'ghes', label: 'sandbox GHES (local/sandbox, its HTTP server)', side: 'local' },
  { key: 'parse', label: 'mail parsing (postal-mime, shared/service-desk/parse)', side: 'desk' },
  { key: 'render', label: 'outgoing mail rendering (templates, markdown-it)', side: 'desk' },
  { key: 'desk', label: 'desk logic (shared/service-desk, records)', side: 'desk' },
  { key: 'octokit', label: 'Octokit, retry, throttling (Bottleneck)', side: 'desk' },
  { key: 'fetch', label: 'HTTP client (fetch/undici) to GHES', side: 'desk' },
  { key: 'runtime', label: 'Lambda runtime (handler, middy, deps, logger)', side: 'desk' },
  { key: 'bench', label: 'benchmark harness', side: 'bench' },
  { key: 'gc', label: 'garbage collection (main thread)', side: 'runtime' },
  { key: 'node', label: 'Node event loop and internals (no caller above)', side: 'runtime' },
  { key: 'program', label: 'V8 native, unattributed ("(program)")', side: 'runtime' },
  { key: 'other', label: 'other (libraries and code outside these)', side: 'runtime' },
];

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The category of one frame's script, or undefined when it has none of its own (Node internals). */
function categoryOfUrl(url: string, fn: string): string | undefined {
  if (!url) {
    if (fn === '(garbage collector)') return 'gc';
    if (fn === '(program)') return 'program';
    if (fn === '(idle)') return 'idle';
    return undefined; // native functions (JSON.parse, ...): the caller's
  }
  if (url.startsWith('node:internal/deps/undici')) return 'fetch';
  if (url.startsWith('node:')) return undefined;
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel)?.[1];
  if (mod) {
    // nodemailer: its SMTP client is the bench's sender; composing a message (MIME) is the outbox
    // mailer's, unless a caller above says otherwise.
    if (mod === 'nodemailer')
      return /\/smtp-(connection|pool|transport)\//.test(rel) ? 'smtpClient' : 'nodemailer';
    if (mod === 'smtp-server' || mod === 'ipv6-normalize' || mod === 'base32.js') return 'smtpServer';
    if (['postal-mime', 'linkify-it', 'punycode.js', 'entities'].includes(mod)) return 'parse';
    if (['markdown-it', 'mdurl', 'uc.micro'].includes(mod)) return 'render';
    if (mod.startsWith('@octokit/') || mod === 'bottleneck' || mod === 'before-after-hook') return 'octokit';
    if (mod === 'universal-user-agent' || mod === 'fast-content-type-parse' || mod === 'light-my-request')
      return 'octokit';
    if (mod === '@middy/core') return 'runtime';
    if (mod === 'tsx' || mod === 'esbuild' || mod === 'get-tsconfig') return 'other';
    return 'other';
  }
  if (rel.startsWith('bench/')) return 'bench';
  if (rel === 'local/ses-inbound.ts') return 'smtpServer';
  if (rel.startsWith('local/engine/') || rel === 'local/async-invoke.ts') return 'engine';
  if (rel.startsWith('local/adapters/')) return 'standIns';
  if (rel.startsWith('local/sandbox/') || rel === 'local/http-server.ts') return 'ghes';
  if (rel === 'shared/service-desk/parse.ts') return 'parse';
  if (rel === 'shared/service-desk/templates.ts') return 'render';
  if (rel === 'shared/service-desk/tickets.ts') return 'octokit';
  if (rel.startsWith('shared/service-desk/') || rel.startsWith('shared/records/')) return 'desk';
  if (rel.startsWith('functions/') || rel.startsWith('shared/runtime/') || rel === 'shared/logger.ts')
    return 'runtime';
  if (rel.startsWith('local/')) return 'engine';
  if (rel.startsWith('shared/')) return 'desk';
  return 'other';
}

export interface Breakdown {
  /** Main-thread CPU by category key, in ms (idle excluded). */
  ms: Map<string, number>;
  /** Sampled time, idle included, in ms. */
  wallMs: number;
  /** Main-thread CPU (everything but idle), in ms. */
  busyMs: number;
  /** Self time by function (`name url:line`), for the top list. */
  functions: Map<string, { ms: number; category: string }>;
}

/** Attributes every sample of `profile` to a category (see the module comment). */
export function breakdown(profile: CpuProfile): Breakdown {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const memo = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    // The leaf's own category, else the nearest caller's; nodemailer by its caller (the outbox
    // mailer composing a message is a local stand-in, the rest is the bench's sender).
    let cat: string | undefined;
    let nodemailer = false;
    for (let at: number | undefined = id; at !== undefined && !cat; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      const c = categoryOfUrl(f.url, f.functionName);
      if (c === 'nodemailer') nodemailer = true;
      else if (c && nodemailer) cat = c === 'bench' || c === 'smtpClient' ? 'smtpClient' : 'standIns';
      else if (c) cat = c;
    }
    if (!cat) cat = nodemailer ? 'standIns' : 'node';
    memo.set(id, cat);
    return cat;
  };
  const ms = new Map<string, number>();
  const functions = new Map<string, { ms: number; category: string }>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let wallUs = 0;
  let busyUs = 0;
  // timeDeltas[i] is the time before sample i: the time up to the next sample is sample i's.
  for (let i = 0; i < samples.length; i++) {
    const us = deltas[i + 1] ?? 0;
    wallUs += us;
    const id = samples[i]!;
    const cat = categoryOf(id);
    if (cat === 'idle') continue;
    busyUs += us;
    ms.set(cat, (ms.get(cat) ?? 0) + us / 1000);
    const f = byId.get(id)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '')}:${f.lineNumber + 1}`;
    const e = functions.get(name) ?? { ms: 0, category: cat };
    e.ms += us / 1000;
    functions.set(name, e);
  }
  return { ms, wallMs: wallUs / 1000, busyMs: busyUs / 1000, functions };
}

/** Profiles the main thread while `work` runs; also the process's CPU (all threads) and wall time. */
export async function profiled<T>(
  work: () => Promise<T>,
  samplingIntervalUs = 500,
): Promise<{ result: T; profile: CpuProfile; cpuMs: number; wallMs: number }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await session.post('Profiler.start');
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  try {
    const result = await work();
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    return { result, profile, cpuMs: (used.user + used.system) / 1000, wallMs };
  } finally {
    await session.post('Profiler.disable').catch(() => undefined);
    session.disconnect();
  }
}
