import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { breakdown, CATEGORIES, profiled, type CpuProfile } from '../../bench/cpu-breakdown.js';
import { ROOT } from '../helpers/local-world.js';

const file = (rel: string): string => pathToFileURL(path.join(ROOT, rel)).href;

/** A profile from a call tree: each leaf path gets `ms` of samples (1 ms each). */
function profileOf(paths: { frames: [string, string][]; ms: number }[]): CpuProfile {
  const nodes: CpuProfile['nodes'] = [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [] },
  ];
  const samples: number[] = [];
  const timeDeltas: number[] = [0];
  for (const p of paths) {
    let parent = nodes[0]!;
    for (const [functionName, url] of p.frames) {
      const node = { id: nodes.length + 1, callFrame: { functionName, url, lineNumber: 0 }, children: [] };
      nodes.push(node);
      parent.children!.push(node.id);
      parent = node;
    }
    for (let i = 0; i < p.ms; i++) {
      samples.push(parent.id);
      timeDeltas.push(1000);
    }
  }
  return { nodes, startTime: 0, endTime: samples.length * 1000, samples, timeDeltas };
}

describe('the bench CPU breakdown (bench/cpu-breakdown.ts)', () => {
  it("attributes each sample to its script's category, Node's own code to the nearest caller with one", () => {
    const b = breakdown(
      profileOf([
        { frames: [['ingest', file('shared/service-desk/desk.ts')]], ms: 5 },
        // JSON.parse (native) and a stream write (Node) called from the desk: the desk's.
        {
          frames: [
            ['claim', file('shared/service-desk/store.ts')],
            ['parse', ''],
          ],
          ms: 2,
        },
        {
          frames: [
            ['request', file('node_modules/@octokit/request/dist-bundle/index.js')],
            ['fetch', 'node:internal/deps/undici/undici'],
          ],
          ms: 3,
        },
        { frames: [['schedule', file('node_modules/bottleneck/light.js')]], ms: 1 },
        { frames: [['route', file('local/sandbox/ghes/issues-api.ts')]], ms: 2 },
        { frames: [['_onCommand', file('node_modules/smtp-server/dist/esm/smtp-connection.js')]], ms: 2 },
        // nodemailer: its SMTP client is the sender's; composing called from the outbox is a stand-in.
        {
          frames: [
            ['blast', file('bench/service-desk.ts')],
            ['sendMail', file('node_modules/nodemailer/dist/esm/mailer/index.js')],
          ],
          ms: 1,
        },
        { frames: [['send', file('node_modules/nodemailer/dist/esm/smtp-connection/index.js')]], ms: 1 },
        {
          frames: [
            ['send', file('local/adapters/outbox-mailer.ts')],
            ['compile', file('node_modules/nodemailer/dist/esm/mail-composer/index.js')],
          ],
          ms: 2,
        },
        { frames: [['processTicksAndRejections', 'node:internal/process/task_queues']], ms: 4 },
        { frames: [['(garbage collector)', '']], ms: 3 },
        { frames: [['(idle)', '']], ms: 10 },
      ]),
    );
    expect(Object.fromEntries(b.ms)).toEqual({
      desk: 7,
      fetch: 3,
      octokit: 1,
      ghes: 2,
      smtpServer: 2,
      smtpClient: 2,
      standIns: 2,
      node: 4,
      gc: 3,
    });
    expect(b.busyMs).toBe(26);
    expect(b.wallMs).toBe(36);
    // Every category a sample can get is one the bench prints.
    const keys = new Set(CATEGORIES.map((c) => c.key));
    for (const k of b.ms.keys()) expect(keys.has(k)).toBe(true);
  });

  it('profiles the main thread in-process while the work runs', async () => {
    const { result, profile, cpuMs, wallMs } = await profiled(async () => {
      const end = performance.now() + 50;
      let x = 0;
      while (performance.now() < end) x += Math.sqrt(x + 1);
      return x;
    });
    expect(result).toBeGreaterThan(0);
    expect(wallMs).toBeGreaterThanOrEqual(50);
    expect(cpuMs).toBeGreaterThan(0);
    const b = breakdown(profile);
    expect(b.busyMs).toBeGreaterThan(0);
    // The busy loop is this test file's code: "other" (neither the desk nor a stand-in).
    expect(b.ms.get('other') ?? 0).toBeGreaterThan(0);
  });
});
