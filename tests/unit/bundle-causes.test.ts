import { describe, expect, it } from '@jest/globals';
import { bundleBuild, causeOf, explain, packageOf, type BuildMetafile } from '../../bench/bundle-causes.js';

/** A metafile shaped like serverless-esbuild's (esbuild 0.28, one entry, ESM output). */
const imp = (...paths: string[]): { imports: { path: string; kind: string }[] } => ({
  imports: paths.map((path) => ({ path, kind: 'import-statement' })),
});
const DEEP = '../node_modules/.pnpm/x/node_modules/@scope/deep/lib/a.js';
const META: BuildMetafile = {
  inputs: {
    'functions/service-desk/http.ts': imp('shared/service-desk/desk.ts'),
    'shared/service-desk/desk.ts': {
      imports: [
        { path: 'node_modules/nodemailer/dist/cjs/smtp-connection/index.js', kind: 'import-statement' },
        // Loaded on first use: esbuild wraps it, it is not evaluated at import.
        { path: 'node_modules/@octokit/core/dist-src/index.js', kind: 'dynamic-import' },
        { path: 'shared/errors.ts', kind: 'import-statement' },
      ],
    },
    'shared/service-desk/parse.ts': {
      imports: [
        { path: 'node:crypto', kind: 'import-statement', external: true },
        { path: 'node:tls', kind: 'dynamic-import', external: true },
      ],
    },
    'shared/errors.ts': imp(),
    // Shaken out of the bundle: its import makes no package a root.
    'shared/unused.ts': imp('node_modules/left-pad/index.js', DEEP),
    'node_modules/left-pad/index.js': imp(),
    'node_modules/nodemailer/dist/cjs/smtp-connection/index.js': imp(
      'node_modules/nodemailer/dist/cjs/mime-node/index.js',
      DEEP,
    ),
    'node_modules/nodemailer/dist/cjs/mime-node/index.js': {
      imports: [
        { path: 'net', kind: 'import-statement', external: true },
        { path: 'crypto', kind: 'require-call', external: true },
      ],
    },
    'node_modules/@octokit/core/dist-src/index.js': imp(DEEP),
    [DEEP]: imp(),
  },
  outputs: {
    '.esbuild/.build/functions/service-desk/http.mjs': {
      bytes: 400 * 1024,
      entryPoint: 'functions/service-desk/http.ts',
      imports: [
        { path: 'node:crypto', kind: 'import-statement', external: true },
        { path: 'node:net', kind: 'import-statement', external: true },
        { path: 'net', kind: 'import-statement', external: true },
        { path: '@aws-sdk/client-s3', kind: 'dynamic-import', external: true },
        { path: 'node:tls', kind: 'require-call', external: true },
      ],
      inputs: {
        'node_modules/nodemailer/dist/cjs/smtp-connection/index.js': { bytesInOutput: 150 * 1024 },
        'node_modules/nodemailer/dist/cjs/mime-node/index.js': { bytesInOutput: 50 * 1024 },
        'node_modules/@octokit/core/dist-src/index.js': { bytesInOutput: 40 * 1024 },
        [DEEP]: { bytesInOutput: 10 * 1024 },
        'shared/service-desk/desk.ts': { bytesInOutput: 90 * 1024 },
        'shared/service-desk/parse.ts': { bytesInOutput: 30 * 1024 },
        'shared/errors.ts': { bytesInOutput: 20 * 1024 },
        'functions/service-desk/http.ts': { bytesInOutput: 0 },
      },
    },
    '.esbuild/.build/functions/service-desk/http.mjs.map': { bytes: 1, inputs: {} },
  },
};

describe('bundle causes from the esbuild metafile', () => {
  it('groups inputs by npm package (scoped too) or project folder', () => {
    expect(packageOf('node_modules/nodemailer/dist/cjs/mailer/index.js')).toBe('nodemailer');
    expect(packageOf('node_modules/@octokit/core/dist-src/index.js')).toBe('@octokit/core');
    expect(packageOf('../node_modules/.pnpm/a@1/node_modules/@s/p/x.js')).toBe('@s/p');
    expect(packageOf('shared/service-desk/desk.ts')).toBe('shared/service-desk');
    expect(packageOf('shared/errors.ts')).toBe('shared/errors.ts');
    expect(packageOf('functions/deploy/probe.ts')).toBe('functions/deploy');
  });

  it('sums bytes per project folder and per imported package with what only it brings in, largest first', () => {
    const b = bundleBuild(META);
    expect(b.bytes).toBe(400 * 1024);
    expect(b.packages.map((p) => [p.name, p.bytes / 1024])).toEqual([
      ['nodemailer', 200],
      ['shared/service-desk', 120],
      ['@octokit/core', 40],
      ['shared/errors.ts', 20],
      // Brought in by both packages the project imports.
      ['@octokit/core + nodemailer', 10],
    ]);
    expect(b.packages[0]!.share).toBeCloseTo(200 / 390);
    expect(b.evaluatedAtImport).toEqual([
      { name: 'nodemailer', bytes: 200 * 1024, via: ['shared/service-desk/desk.ts'] },
      { name: '@octokit/core + nodemailer', bytes: 10 * 1024, via: ['shared/service-desk/desk.ts'] },
    ]);
    // Dynamic imports and require calls load on use; bare and node: names are the same built-in.
    expect(b.staticBuiltins).toEqual([
      { name: 'node:crypto', by: ['shared/service-desk'] },
      { name: 'node:net', by: ['nodemailer'] },
    ]);
  });

  it('rejects a metafile without exactly one JavaScript output', () => {
    expect(() => bundleBuild({ outputs: {} })).toThrow(/expected one JavaScript output/);
  });

  it('splits compile from evaluation and names the packages that would have to go', () => {
    const b = bundleBuild(META);
    // floor 4, inert 44 (compile 40 ms over 400 KB: 0.1 ms/KB), import 60 (evaluation 16).
    const c = causeOf(b, { importMs: 60, inertMs: 44, floorMs: 4, targetMs: 8 });
    expect(c.compileMs).toBe(40);
    expect(c.evalMs).toBe(16);
    expect(c.msPerKb).toBeCloseTo(0.1);
    expect(c.deferEval).toBe(true);
    // 60 - 16 = 44; - nodemailer 20 = 24; - shared/service-desk 12 = 12; - @octokit/core 4 = 8.
    expect(c.drop.map((p) => p.name)).toEqual(['nodemailer', 'shared/service-desk', '@octokit/core']);
    expect(c.estimateMs).toBeCloseTo(8);
    expect(c.reachable).toBe(true);
    expect(c.overMs).toBe(52);
  });

  it('says so when even without every package the import stays over the target', () => {
    const c = causeOf(bundleBuild(META), { importMs: 60, inertMs: 58, floorMs: 2, targetMs: 4 });
    expect(c.reachable).toBe(false);
    expect(c.drop.map((p) => p.name)).toEqual([
      'nodemailer',
      'shared/service-desk',
      '@octokit/core',
      'shared/errors.ts',
      '@octokit/core + nodemailer',
    ]);
    const text = explain(bundleBuild(META), { importMs: 60, inertMs: 58, floorMs: 2, targetMs: 4 }).join(
      '\n',
    );
    expect(text).toMatch(/still over 4\.0 ms/);
  });

  it('only asks to defer evaluation when that alone meets the target', () => {
    const lines = explain(bundleBuild(META), { importMs: 20, inertMs: 6, floorMs: 4, targetMs: 8 });
    expect(lines[0]).toBe(
      'over the floor: compile 2.0 ms (13%), evaluation 14.0 ms (87%); 12.0 ms over the target of 8.0 ms',
    );
    expect(lines[1]).toBe(
      'largest inputs: nodemailer 200.0 KB (51%), shared/service-desk 120.0 KB (31%), @octokit/core 40.0 KB (10%), shared/errors.ts 20.0 KB (5%)',
    );
    expect(lines[2]).toBe(
      'evaluation: 14.0 ms runs at import; built-ins loaded before any code runs: node:crypto (by shared/service-desk), node:net (by nodemailer)',
    );
    expect(lines[3]).toBe(
      'evaluated at import (static imports from the handler): nodemailer 200.0 KB (imported by shared/service-desk/desk.ts), @octokit/core + nodemailer 10.0 KB (imported by shared/service-desk/desk.ts); import them on first use (`await import()`) where the path allows',
    );
    expect(lines[4]).toBe(
      'what it would take: defer what runs at import (14.0 ms): the import would be about 6.0 ms',
    );
  });
});
