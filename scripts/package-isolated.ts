/**
 * Packages the service with osls in a throw-away copy of the project, so tests and benchmarks see
 * the current files without touching (or racing on) the developer's own `.serverless/` and
 * `.esbuild/` folders: osls always wipes `<service>/.serverless` when it packages.
 *
 * Offline and without credentials: `osls package` makes no AWS call as long as serverless.yml has no
 * `${ssm:...}`/`${cf:...}` variables. Run directly (`node --import tsx scripts/package-isolated.ts`)
 * it packages and prints the output folder.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

export const PROJECT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Top-level entries never copied: dependencies are linked, build output is regenerated. */
const SKIP = new Set([
  'node_modules',
  '.git',
  '.serverless',
  '.esbuild',
  '.ghes-ops',
  'coverage',
  'test-artifacts',
]);

export interface PackageOptions {
  stage?: string;
  /** `--param=key=value` overrides. */
  params?: Record<string, string>;
  /** Keep the copy (default: removed by `cleanup`). */
  keep?: boolean;
  /**
   * Also write esbuild's metafile of every function (`custom.esbuild.metafile` and
   * `keepOutputDirectory` set in the copy's serverless.yml, nothing else changed): read them with
   * `PackagedService.metafileOf`.
   */
  metafiles?: boolean;
}

export interface PackagedService {
  /** The copy of the project that was packaged. */
  serviceDir: string;
  /** Its `.serverless` folder: the CloudFormation templates and one zip per function. */
  outDir: string;
  /** osls output (stdout and stderr). */
  log: string;
  durationMs: number;
  /**
   * The esbuild metafile of the bundle a zip holds, by its entry name (`functions/x/y.mjs`); only
   * with `metafiles: true`.
   */
  metafileOf(bundleEntry: string): unknown;
  cleanup(): void;
}

/** serverless-esbuild's build folder (its defaults: `.esbuild/.build`) and metafile naming. */
const ESBUILD_BUILD_DIR = join('.esbuild', '.build');

function enableMetafiles(serviceDir: string): void {
  const file = join(serviceDir, 'serverless.yml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['custom', 'esbuild', 'metafile'], true);
  doc.setIn(['custom', 'esbuild', 'keepOutputDirectory'], true);
  writeFileSync(file, doc.toString());
}

/** Runs `osls package` on a copy of the project; rejects with osls's output when packaging fails. */
export async function packageIsolated(opts: PackageOptions = {}): Promise<PackagedService> {
  const serviceDir = mkdtempSync(join(tmpdir(), 'ghes-ops-package-'));
  const cleanup = (): void => rmSync(serviceDir, { recursive: true, force: true });
  try {
    for (const entry of readdirSync(PROJECT_DIR)) {
      if (SKIP.has(entry)) continue;
      cpSync(join(PROJECT_DIR, entry), join(serviceDir, entry), {
        recursive: true,
        filter: (src) =>
          !relative(PROJECT_DIR, src)
            .split(sep)
            .some((part) => SKIP.has(part)),
      });
    }
    symlinkSync(join(PROJECT_DIR, 'node_modules'), join(serviceDir, 'node_modules'), 'dir');
    if (opts.metafiles) enableMetafiles(serviceDir);
    const args = [
      join(PROJECT_DIR, 'node_modules', 'osls', 'bin', 'serverless.js'),
      'package',
      '--stage',
      opts.stage ?? 'dev',
      ...Object.entries(opts.params ?? {}).map(([k, v]) => `--param=${k}=${v}`),
    ];
    const started = performance.now();
    // process.execPath: the Node 22 that runs npm scripts and npx (node@22 devDependency).
    const child = spawn(process.execPath, args, {
      cwd: serviceDir,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const code = await new Promise<number | string>((done, fail) => {
      child.on('error', fail);
      child.on('close', (status, signal) => done(status ?? signal ?? 'unknown'));
    });
    if (code !== 0) throw new Error(`osls package failed (exit ${code}):\n${log}`);
    return {
      serviceDir,
      outDir: join(serviceDir, '.serverless'),
      log,
      durationMs: performance.now() - started,
      metafileOf: (bundleEntry) => {
        if (!opts.metafiles) throw new Error('packageIsolated: metafiles were not requested');
        const meta = join(serviceDir, ESBUILD_BUILD_DIR, bundleEntry.replace(/\.[cm]?js$/, '-meta.json'));
        return JSON.parse(readFileSync(meta, 'utf8')) as unknown;
      },
      cleanup: opts.keep ? () => undefined : cleanup,
    };
  } catch (error) {
    if (!opts.keep) cleanup();
    throw error;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const packaged = await packageIsolated({ keep: true });
  console.log(`packaged in ${Math.round(packaged.durationMs)} ms: ${packaged.outDir}`);
}
