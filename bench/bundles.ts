/**
 * Function bundles: size and cold import time.
 *
 * Packages the service (osls, offline, on a throw-away copy of the project), takes each function's
 * .mjs out of its zip, and measures how long a fresh Node process takes to `import()` it: the time
 * is taken inside the child with performance.now() around the import, so Node's own start-up is
 * excluded. The floor is the same figure for an empty ESM handler. Runs are interleaved across the
 * files so that machine noise hits them all alike; the median is reported.
 *
 * Targets: bundle <= 1 MB (also the limit the tests enforce), import <= 2x the floor.
 * Every import runs with an empty environment (PATH only): a handler that reads its configuration or
 * calls AWS at import time fails here.
 *
 * For each function over the ratio target, a second pass imports an inert copy of its bundle (the
 * same code inside a function that is never called), interleaved with the bundle itself and the
 * floor so that the three are compared under the same conditions (the table's verdict stays the
 * first pass's). Node must still read, decode and compile every
 * byte (an ES module is compiled whole), but nothing runs. `bytes` is that cost, `eval` the rest
 * (what the module does when loaded: top-level code, Node built-ins). When `eval` is within the
 * floor, the function loads nothing it does not need at import and what is over is the size of the
 * code its path bundles (lazily evaluated modules included: one file per function, no chunks).
 *
 * Each of those functions is then explained from its build: osls packages with esbuild's metafile
 * on (the copy's serverless.yml only), and bench/bundle-causes.ts reads it: the largest inputs by
 * bytes (project folders, and each package the project imports with what only it brings in), the
 * built-ins loaded before any code runs and who imports them, compile vs evaluation over the floor,
 * and what it would take: deferring what runs at import and dropping or splitting the largest
 * inputs, with the import estimated from this bundle's measured compile time per KB.
 *
 * Options: --runs N (default 15), or BENCH_RUNS=N.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageIsolated } from '../scripts/package-isolated.js';
import { bundleBuild, explain, type BuildMetafile, type BundleBuild } from './bundle-causes.js';
import { readZip } from '../scripts/zip.js';

const SIZE_TARGET = 1024 * 1024;
const RATIO_TARGET = 2;

function runsOption(): number {
  const i = process.argv.indexOf('--runs');
  const raw = i >= 0 ? process.argv[i + 1] : process.env.BENCH_RUNS;
  const n = raw === undefined ? 15 : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--runs must be a positive whole number, got ${raw}`);
  return n;
}

interface Subject {
  name: string;
  file: string;
  size: number;
  /** From esbuild's metafile of the build osls ran: its packages by bytes, its static built-ins. */
  build?: BundleBuild;
  /** Why `build` is missing (the metafile could not be read). */
  buildError?: string;
  samples: number[];
  /** Whole child process, spawn to exit, measured by the parent (Node start-up included). */
  wall: number[];
  error?: string;
  /**
   * The inert copy (functions over the ratio target): the same bytes, nothing evaluated; `real`:
   * the bundle again, in the same pass, so that the two are compared under the same conditions.
   */
  inert?: { file: string; samples: number[]; real: number[]; error?: string };
}

/**
 * The bundle's code inside a function that is never called: its static imports (the banner's and
 * the Node built-ins', wherever esbuild put them) and its export list removed, `import.meta` replaced.
 */
function inertCopy(code: string): string {
  const body = code
    .replace(
      /\bimport\s*(?:\{[^}]*\}|\*\s*as\s*[\w$]+|[\w$]+(?:\s*,\s*\{[^}]*\})?)\s*from\s*["'][^"']+["']\s*;?/g,
      '',
    )
    .replace(/\bimport\s*["'][^"']+["']\s*;/g, '')
    .replace(/\bexport\s*\{[^}]*\}\s*;?/g, '')
    .replace(/\bimport\.meta\b/g, '({url:""})');
  return `export const handler = async (event) => event;\nasync function inert() {\n${body}\n}\nvoid inert;\n`;
}

/** One cold import in a fresh process: milliseconds inside the child, and for the whole process. */
function importOnce(file: string): { ms: number; wallMs: number } {
  const url = pathToFileURL(file).href;
  const script =
    `const t0 = performance.now(); const m = await import(${JSON.stringify(url)}); const t1 = performance.now();` +
    `if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); }` +
    `process.stdout.write(JSON.stringify({ ms: t1 - t0 }));`;
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0)
    throw new Error(
      `import failed (exit ${run.status ?? run.signal}): ${run.stderr.trim().split('\n').slice(0, 5).join(' | ')}`,
    );
  const wallMs = performance.now() - started;
  return { ms: (JSON.parse(run.stdout) as { ms: number }).ms, wallMs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
const ms = (n: number): string => `${n.toFixed(1)} ms`;
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

async function main(): Promise<void> {
  const runs = runsOption();
  console.log(`Node ${process.version} (${process.execPath}), ${runs} cold imports per file`);
  const packaged = await packageIsolated({ stage: 'dev', metafiles: true });
  const work = mkdtempSync(join(tmpdir(), 'ghes-ops-bench-'));
  try {
    console.log(`packaged with osls in ${(packaged.durationMs / 1000).toFixed(1)} s`);
    const floorFile = join(work, 'floor', 'empty-handler.mjs');
    mkdirSync(dirname(floorFile), { recursive: true });
    writeFileSync(floorFile, 'export const handler = async (event) => event;\n');
    const floor: Subject = { name: '(empty ESM handler)', file: floorFile, size: 0, samples: [], wall: [] };

    const subjects: Subject[] = [];
    for (const zipName of readdirSync(packaged.outDir)
      .filter((f) => f.endsWith('.zip'))
      .sort()) {
      const fn = zipName.replace(/\.zip$/, '');
      const entries = readZip(join(packaged.outDir, zipName)).filter((e) => e.name.endsWith('.mjs'));
      if (entries.length !== 1)
        throw new Error(
          `${zipName}: expected one .mjs, found ${entries.map((e) => e.name).join(', ') || 'none'}`,
        );
      const entry = entries[0]!;
      // Extracted outside the project: the bundle must import with nothing but Node's built-ins.
      const file = join(work, fn, entry.name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, entry.data());
      // The explanation needs the build's metafile; the measurement does not.
      let build: BundleBuild | undefined;
      let buildError: string | undefined;
      try {
        build = bundleBuild(packaged.metafileOf(entry.name) as BuildMetafile);
      } catch (error) {
        buildError = (error as Error).message;
      }
      subjects.push({ name: fn, file, size: entry.size, build, buildError, samples: [], wall: [] });
    }
    if (subjects.length === 0) throw new Error(`no function zip in ${packaged.outDir}`);

    const all = [floor, ...subjects];
    for (let i = 0; i < runs; i++) {
      for (const s of all) {
        if (s.error) continue;
        try {
          const { ms: t, wallMs } = importOnce(s.file);
          s.samples.push(t);
          s.wall.push(wallMs);
        } catch (error) {
          s.error = (error as Error).message;
        }
      }
    }
    if (floor.error) throw new Error(`the floor could not be measured: ${floor.error}`);
    const floorMs = median(floor.samples);

    // Second pass, for the functions over the ratio target: the floor, each bundle and its inert
    // copy, interleaved, so that the split into compile and evaluation compares like with like.
    const over = subjects.filter((s) => !s.error && median(s.samples) / floorMs > RATIO_TARGET);
    for (const s of over) {
      const file = s.file.replace(/\.mjs$/, '.inert.mjs');
      writeFileSync(file, inertCopy(readFileSync(s.file, 'utf8')));
      s.inert = { file, samples: [], real: [] };
    }
    const floor2: number[] = [];
    for (let i = 0; i < runs && over.length; i++) {
      floor2.push(importOnce(floor.file).ms);
      for (const s of over) {
        const inert = s.inert!;
        if (inert.error) continue;
        try {
          inert.real.push(importOnce(s.file).ms);
          inert.samples.push(importOnce(inert.file).ms);
        } catch (error) {
          inert.error = (error as Error).message;
        }
      }
    }
    const floorAll = floor2.length ? median(floor2) : floorMs;

    const header = [
      pad('function', 32),
      lpad('size', 10),
      lpad('import', 9),
      lpad('min-max', 14),
      lpad('floor', 8),
      lpad('ratio', 8),
      lpad('process', 9),
      '  size<=1MB',
      '  ratio<=2x',
    ];
    const range = (xs: number[]): string => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
    console.log(`\n${header.join('')}`);
    console.log(
      `${pad(floor.name, 32)}${lpad('-', 10)}${lpad(ms(floorMs), 9)}${lpad(range(floor.samples), 14)}${lpad('', 16)}${lpad(ms(median(floor.wall)), 9)}`,
    );
    let sizeFailures = 0;
    let ratioFailures = 0;
    const explained: string[] = [];
    for (const s of subjects) {
      const sizeOk = s.size <= SIZE_TARGET;
      if (!sizeOk) sizeFailures++;
      if (s.error) {
        console.log(`${pad(s.name, 32)}${lpad(kb(s.size), 10)}  IMPORT FAILED: ${s.error}`);
        ratioFailures++;
        continue;
      }
      const m = median(s.samples);
      const ratio = m / floorMs;
      const ratioOk = ratio <= RATIO_TARGET;
      if (!ratioOk) ratioFailures++;
      if (s.inert) {
        if (s.inert.error || s.inert.samples.length === 0) {
          explained.push(`${pad(s.name, 32)}inert copy not measured: ${s.inert.error ?? 'no sample'}`);
        } else {
          const bytes = median(s.inert.samples);
          const real = median(s.inert.real);
          const evalMs = Math.max(0, real - bytes);
          const why =
            evalMs <= floorAll
              ? 'size: nothing runs at import that it does not need; the cost is compiling its bundled code'
              : 'evaluation: code runs at import';
          explained.push(
            `${pad(s.name, 32)}${lpad(kb(s.size), 10)}${lpad(ms(real), 9)}  bytes ${ms(bytes)}, eval ${ms(evalMs)} (floor ${ms(floorAll)}): ${why}`,
          );
          const lines = s.build
            ? explain(s.build, {
                importMs: real,
                inertMs: bytes,
                floorMs: floorAll,
                targetMs: RATIO_TARGET * floorAll,
              })
            : [`no cause from the build: ${s.buildError ?? 'no metafile'}`];
          for (const line of lines) explained.push(`${' '.repeat(34)}${line}`);
        }
      }
      console.log(
        pad(s.name, 32) +
          lpad(kb(s.size), 10) +
          lpad(ms(m), 9) +
          lpad(range(s.samples), 14) +
          lpad(ms(floorMs), 8) +
          lpad(`${ratio.toFixed(1)}x`, 8) +
          lpad(ms(median(s.wall)), 9) +
          lpad(sizeOk ? 'ok' : 'OVER', 11) +
          lpad(ratioOk ? 'ok' : 'OVER', 11),
      );
    }
    console.log(
      '\nimport: median of the import() alone, timed inside the child; floor: the same for an empty ESM handler;\n' +
        'process: median wall time of the whole child process (Node start-up + import), for scale.',
    );
    if (explained.length) {
      console.log(
        '\nover the ratio target, why (second pass: the floor, each bundle and its inert copy interleaved; its figures):\n' +
          "bytes = import of an inert copy (same code, never called), eval = the rest; the target is 2x that pass's floor",
      );
      for (const line of explained) console.log(line);
    }
    console.log(
      `targets: size <= 1 MB: ${subjects.length - sizeFailures}/${subjects.length} ok; ` +
        `import <= ${RATIO_TARGET}x the floor: ${subjects.length - ratioFailures}/${subjects.length} ok`,
    );
  } finally {
    packaged.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
