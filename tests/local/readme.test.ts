import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultConfig, displayConfig, mergeConfig } from '../../local/config.js';
import { SCENARIOS } from '../../local/sandbox/scenarios.js';
import { WORKFLOWS } from '../../shared/workflows.js';
import { ROOT } from '../helpers/local-world.js';

/**
 * The README is what a newcomer follows: its configuration table names exactly the keys
 * `ghes-ops config --json` prints, and every command in its shell blocks exists as written.
 */
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The setting keys of the configuration table (first column, each in backticks). */
function tableKeys(): string[] {
  const section = README.slice(README.indexOf('## Configuration'));
  const table = section.slice(
    section.indexOf('| setting |'),
    section.indexOf('\n\n', section.indexOf('| setting |')),
  );
  return table
    .split('\n')
    .slice(2)
    .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

/** Every object path of `value` (`a`, `a.b`, ...), arrays as leaves. */
function paths(value: unknown, prefix = ''): string[] {
  if (!isObj(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return [p, ...paths(v, p)];
  });
}

describe('README configuration table', () => {
  // config --json with the optional settings present too (appliance.ssh, aws, local.mail.smtp).
  const shown = displayConfig(
    mergeConfig(
      defaultConfig(ROOT),
      {
        appliance: { ssh: { identityFile: '/k' } },
        aws: { profile: 'ops', region: 'ap-northeast-2' },
        local: { mail: { transport: 'smtp', smtp: { host: 'smtp.example.com', port: 587 } } },
      },
      '/project/f.json',
    ),
  );
  const shownPaths = new Set(paths(shown));
  const keys = tableKeys();

  it('names only keys that config --json prints', () => {
    expect(keys.length).toBeGreaterThan(10);
    expect(keys.filter((k) => !shownPaths.has(k))).toEqual([]);
  });

  it('covers every key config --json prints (top level, and under local and local.serviceDesk)', () => {
    const covered = (p: string): boolean =>
      keys.some((k) => k === p || p.startsWith(`${k}.`) || k.startsWith(`${p}.`));
    const depth = (p: string): number => p.split('.').length;
    const mustCover = [...shownPaths].filter(
      (p) =>
        depth(p) === 1 ||
        (p.startsWith('local.') && depth(p) === 2) ||
        (p.startsWith('local.serviceDesk.') && depth(p) === 3),
    );
    expect(mustCover.filter((p) => !covered(p))).toEqual([]);
  });

  it('lists every service desk setting the desk parser knows', () => {
    const row = README.split('\n').find((l) => l.startsWith('| `local.serviceDesk.desk`'))!;
    const desk = (shown as { local: { serviceDesk: { desk: Record<string, unknown> } } }).local.serviceDesk
      .desk;
    expect(Object.keys(desk).filter((k) => !row.includes(`\`${k}\``))).toEqual([]);
  });
});

/** Shell words of one command line: quotes removed, an unquoted `#` ends the line. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unbalanced ${c} in: ${line}`);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === ' ' || c === '\t') {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else if (c === '#' && cur === undefined) break;
    else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/** The commands of the README's ```sh blocks (continuations joined, `&&` split). */
function shellCommands(): string[][] {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) =>
    b
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .flatMap((line) => {
        const w = words(line);
        const cmds: string[][] = [[]];
        for (const x of w) {
          if (x === '&&') cmds.push([]);
          else cmds.at(-1)!.push(x);
        }
        return cmds.filter((c) => c.length > 0);
      }),
  );
}

const USAGE = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'ghes-ops.mjs'), 'help'], {
  encoding: 'utf8',
  timeout: 60_000,
}).stdout;
const usageLines = USAGE.split('\n')
  .map((l) => l.trim())
  .filter((l) => l.startsWith('ghes-ops ') || l.startsWith('run '))
  .map((l) => (l.startsWith('run ') ? `ghes-ops ${l}` : l))
  // The synopsis only: the description follows after two or more spaces.
  .map((l) => l.split(/\s{2,}/)[0]!);
const scripts = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts,
);

/** The usage lines a `ghes-ops` command line matches (positional words against the usage's words). */
function matchingUsage(args: string[]): string[] {
  return usageLines.filter((u) => {
    const spec = u.split(/\s+/).slice(1);
    for (const [i, s] of spec.entries()) {
      if (/^[[(-]/.test(s) || s === '...' || s === '') return true;
      const a = args[i];
      if (a === undefined || a.startsWith('-')) return false;
      if (s.startsWith('<')) continue;
      if (!s.split('|').includes(a)) return false;
    }
    return true;
  });
}

describe('README commands', () => {
  const commands = shellCommands();

  it('finds the commands of the Quick start', () => {
    expect(commands.map((c) => c.join(' '))).toEqual(
      expect.arrayContaining(['npm install', 'npm start', 'npm test', 'npx ghes-ops config --json']),
    );
  });

  it.each(commands.map((c) => [c.join(' '), c]))('%s: exists as written', (_line, cmd) => {
    const [program, ...args] = cmd as string[];
    if (program === 'npm') {
      const [sub, script] = args;
      expect(['install', 'start', 'test', 'ci', 'run']).toContain(sub);
      if (sub === 'run') expect(scripts).toContain(script);
      return;
    }
    expect(program).toBe('npx');
    if (args[0] === 'osls') return; // the Serverless Framework's own CLI (deploy)
    expect(args[0]).toBe('ghes-ops');
    const rest = args.slice(1);
    const usage = matchingUsage(rest);
    expect(usage).not.toEqual([]);
    const sameCommand = usageLines.filter((u) => u.split(/\s+/)[1] === rest[0]).join(' ');
    for (const flag of rest.filter((a) => a.startsWith('--')))
      expect(`${sameCommand} `).toMatch(new RegExp(`[[(| ]${flag.replace(/[-]/g, '\\-')}[\\] |)]`));
    const at = (flag: string): string | undefined => {
      const i = rest.indexOf(flag);
      return i >= 0 ? rest[i + 1] : undefined;
    };
    if (rest[0] === 'run') {
      expect(WORKFLOWS.map((w) => w.key)).toContain(rest[1]);
      expect(() => JSON.parse(at('--input') ?? '') as unknown).not.toThrow();
    }
    const scenario = at('--scenario');
    if (scenario !== undefined) expect(Object.keys(SCENARIOS)).toContain(scenario);
  });

  it('every swaks example names a sender (swaks defaults to root@<hostname>, which the desk drops)', () => {
    const swaks = [...README.matchAll(/`(swaks [^`]+)`/g)].map((m) => m[1]!);
    expect(swaks.length).toBeGreaterThan(0);
    for (const s of swaks) expect(s).toMatch(/--from [^\s@]+@[^\s@]+\.[a-z]+/);
  });

  it('the ghes-ops run lines run as written (exit 0 or 1, never a usage error)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-readme-'));
    const config = path.join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ stateDir: dir, timeScale: 0.001 }));
    const runs = commands.filter((c) => c[1] === 'ghes-ops' && c[2] === 'run');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    // In parallel, in their own processes, on a temp state directory, 1000x faster.
    const results = await Promise.all(
      runs.map(
        (c) =>
          new Promise<{ line: string; code: number | null; stderr: string }>((resolve) => {
            const child = spawn(
              process.execPath,
              [
                path.join(ROOT, 'bin', 'ghes-ops.mjs'),
                ...c.slice(2),
                '--config',
                config,
                '--in-process',
                '--quiet',
              ],
              { stdio: ['ignore', 'ignore', 'pipe'] },
            );
            let stderr = '';
            child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
            child.on('exit', (code) => resolve({ line: c.join(' '), code, stderr }));
          }),
      ),
    );
    for (const r of results)
      expect({
        line: r.line,
        ok: r.code === 0 || r.code === 1,
        stderr: r.code === 2 ? r.stderr : '',
      }).toEqual({ line: r.line, ok: true, stderr: '' });
  }, 120_000);
});
