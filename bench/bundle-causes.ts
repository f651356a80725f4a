/**
 * Why a function's bundle imports slower than the target, from its esbuild metafile (the build
 * osls ran, `metafile: true`) and the bench's measurements. Nothing here is about a particular
 * function: the packages, their bytes and the estimates all come from the build and the timings.
 */

/** The parts of esbuild's metafile this reads (esbuild's `Metafile`, trimmed). */
export interface BuildMetafile {
  /** Every input with what it imports: which project file brings in which package. */
  inputs?: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
  outputs: Record<
    string,
    {
      bytes: number;
      inputs: Record<string, { bytesInOutput: number }>;
      imports?: { path: string; kind: string; external?: boolean }[];
      entryPoint?: string;
    }
  >;
}

export interface PackageShare {
  /**
   * A project folder (`shared/service-desk`, `functions/x`), or an npm package the project imports
   * together with the packages only it brings in (`@octokit/app`); code that several of them
   * bring in is named after all of them (`a + b`).
   */
  name: string;
  bytes: number;
  /** Of the bundle's bytes that came from inputs (the banner and esbuild's glue excluded). */
  share: number;
}

export interface BundleBuild {
  /** Output bytes of the bundle (the .mjs). */
  bytes: number;
  /** Largest first. */
  packages: PackageShare[];
  /**
   * Node built-ins the bundle imports statically: Node loads them before any of its code runs
   * (esbuild hoists a built-in's `import` to the top even from a module imported lazily). `by`:
   * the packages or project folders (as in `packages`) whose code imports it.
   */
  staticBuiltins: { name: string; by: string[] }[];
  /**
   * The packages evaluated when the bundle is imported: reached from the handler's file through
   * static imports only (what is reached through an `await import()` is wrapped by esbuild and runs
   * on first use). `via`: the project files whose static import brings the package in. Largest first.
   */
  evaluatedAtImport: { name: string; bytes: number; via: string[] }[];
}

/** The package (or project folder) an esbuild input path belongs to. */
export function packageOf(input: string): string {
  const path = input.replace(/\\/g, '/');
  const i = path.lastIndexOf('node_modules/');
  if (i >= 0) {
    const parts = path.slice(i + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? path);
  }
  const parts = path.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  // `shared/errors.ts` stays itself; `shared/service-desk/desk.ts` is `shared/service-desk`.
  return parts.length > 2 ? parts.slice(0, 2).join('/') : parts.join('/');
}

/** The one .mjs/.js output of a function's metafile (serverless-esbuild builds one entry per file). */
export function bundleBuild(meta: BuildMetafile): BundleBuild {
  const outputs = Object.entries(meta.outputs).filter(([name]) => /\.(m?js|cjs)$/.test(name));
  if (outputs.length !== 1)
    throw new Error(
      `expected one JavaScript output in the metafile, found ${outputs.map(([n]) => n).join(', ') || 'none'}`,
    );
  const out = outputs[0]![1];
  const owners = dependencyOwners(meta.inputs ?? {}, new Set(Object.keys(out.inputs)));
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) {
    const name = inNodeModules(input) ? (owners.get(input) ?? packageOf(input)) : packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const total = [...byPackage.values()].reduce((a, b) => a + b, 0) || 1;
  const packages = [...byPackage.entries()]
    .map(([name, bytes]) => ({ name, bytes, share: bytes / total }))
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  const builtinName = (path: string): string => (path.startsWith('node:') ? path : `node:${path}`);
  const hoisted = new Set(
    (out.imports ?? [])
      .filter((i) => i.external && i.kind === 'import-statement' && isBuiltin(i.path))
      .map((i) => builtinName(i.path)),
  );
  const importers = new Map<string, Set<string>>([...hoisted].map((b) => [b, new Set<string>()]));
  for (const file of Object.keys(out.inputs))
    for (const i of meta.inputs?.[file]?.imports ?? [])
      if (i.external && i.kind === 'import-statement' && isBuiltin(i.path))
        importers
          .get(builtinName(i.path))
          ?.add(inNodeModules(file) ? (owners.get(file) ?? packageOf(file)) : packageOf(file));
  const staticBuiltins = [...importers]
    .map(([name, by]) => ({ name, by: [...by].sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));
  // The static closure from the entry: import statements, and `require` calls (CommonJS code
  // requires as it is evaluated).
  const entry =
    out.entryPoint ?? Object.keys(out.inputs).find((f) => !inNodeModules(f) && /^functions\//.test(f));
  const atImport = new Set<string>();
  const via = new Map<string, Set<string>>();
  const queue = entry ? [entry] : [];
  while (queue.length) {
    const file = queue.pop()!;
    if (atImport.has(file)) continue;
    atImport.add(file);
    for (const i of meta.inputs?.[file]?.imports ?? []) {
      if (i.external || !(i.kind === 'import-statement' || i.kind === 'require-call')) continue;
      if (!(i.path in out.inputs)) continue;
      if (!inNodeModules(file) && inNodeModules(i.path)) {
        const root = packageOf(i.path);
        via.set(root, (via.get(root) ?? new Set()).add(file));
      }
      if (!atImport.has(i.path)) queue.push(i.path);
    }
  }
  const evaluatedBytes = new Map<string, number>();
  for (const file of atImport)
    if (inNodeModules(file)) {
      const name = owners.get(file) ?? packageOf(file);
      evaluatedBytes.set(name, (evaluatedBytes.get(name) ?? 0) + (out.inputs[file]?.bytesInOutput ?? 0));
    }
  const evaluatedAtImport = [...evaluatedBytes]
    .map(([name, bytes]) => ({
      name,
      bytes,
      via: [...new Set(name.split(' + ').flatMap((root) => [...(via.get(root) ?? [])]))].sort(),
    }))
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  return { bytes: out.bytes, packages, staticBuiltins, evaluatedAtImport };
}

const inNodeModules = (input: string): boolean => input.replace(/\\/g, '/').includes('node_modules/');

/**
 * For every input inside node_modules, the package(s) the project imports that bring it in: the
 * packages imported by project files are the roots, and each root owns what it reaches through
 * node_modules alone. Only what is in the bundle counts (esbuild also lists inputs it shook out).
 */
function dependencyOwners(
  inputs: NonNullable<BuildMetafile['inputs']>,
  bundled: ReadonlySet<string>,
): Map<string, string> {
  const reached = new Map<string, Set<string>>();
  const roots = new Map<string, string[]>();
  for (const [file, { imports }] of Object.entries(inputs)) {
    if (inNodeModules(file) || !bundled.has(file)) continue;
    for (const i of imports)
      if (!i.external && inNodeModules(i.path) && bundled.has(i.path)) {
        const root = packageOf(i.path);
        roots.set(root, [...(roots.get(root) ?? []), i.path]);
      }
  }
  for (const [root, starts] of roots) {
    const queue = [...starts];
    const seen = new Set<string>();
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      reached.set(file, (reached.get(file) ?? new Set()).add(root));
      for (const i of inputs[file]?.imports ?? [])
        if (!i.external && inNodeModules(i.path) && bundled.has(i.path) && !seen.has(i.path))
          queue.push(i.path);
    }
  }
  return new Map([...reached].map(([file, by]) => [file, [...by].sort().join(' + ')]));
}

const BUILTINS = new Set(
  process.getBuiltinModule('node:module').builtinModules.map((m) => m.replace(/^node:/, '')),
);
const isBuiltin = (path: string): boolean => path.startsWith('node:') || BUILTINS.has(path.split('/')[0]!);

export interface Measured {
  /** Median import of the bundle, ms. */
  importMs: number;
  /** Median import of its inert copy (same bytes, nothing evaluated), ms. */
  inertMs: number;
  /** Median import of the empty handler, measured alongside the inert copies, ms. */
  floorMs: number;
  /** The target, ms (the ratio target times the floor the table judged by). */
  targetMs: number;
}

export interface Cause {
  /** Reading and compiling the bundle's code, over the floor (inert copy - floor), ms. */
  compileMs: number;
  /** What runs when the module is loaded (import - inert copy), ms. */
  evalMs: number;
  /** Compile cost per KB of this bundle (compileMs / KB): the basis of the estimates. */
  msPerKb: number;
  /** The ms over the target. */
  overMs: number;
  targetMs: number;
  /**
   * The smallest set of the largest packages whose removal (split out, or dropped) would bring
   * the estimated import within the target, once what runs at import is deferred; empty when no
   * package needs to go. `reachable` false: even without all of them it would not.
   */
  drop: PackageShare[];
  /** The estimated import with `drop` gone and (when `deferEval`) nothing run at import, ms. */
  estimateMs: number;
  /** Evaluation is over the floor: deferring what runs at import is part of what it would take. */
  deferEval: boolean;
  reachable: boolean;
}

/**
 * Splits the time over the floor into compile (bytes) and evaluation, and estimates what it would
 * take to meet the target. The estimate is linear: the compile time of this bundle per KB times
 * the KB removed (V8 still pre-parses lazily evaluated code, so bytes cost even when unused).
 */
export function causeOf(build: BundleBuild, m: Measured): Cause {
  const { targetMs } = m;
  const compileMs = Math.max(0, m.inertMs - m.floorMs);
  const evalMs = Math.max(0, m.importMs - Math.max(m.inertMs, m.floorMs));
  const kb = build.bytes / 1024;
  const msPerKb = kb > 0 ? compileMs / kb : 0;
  // Evaluation within the floor is noise and Node's own work; beyond it, something runs at import.
  const deferEval = evalMs > m.floorMs;
  let estimate = m.importMs - (deferEval ? evalMs : 0);
  const drop: PackageShare[] = [];
  for (const p of build.packages) {
    if (estimate <= targetMs) break;
    drop.push(p);
    estimate -= (p.bytes / 1024) * msPerKb;
  }
  return {
    compileMs,
    evalMs,
    msPerKb,
    overMs: Math.max(0, m.importMs - targetMs),
    targetMs,
    drop,
    estimateMs: Math.max(estimate, m.floorMs),
    deferEval,
    reachable: estimate <= targetMs,
  };
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
const ms = (n: number): string => `${n.toFixed(1)} ms`;
const pct = (n: number): string => `${Math.round(n * 100)}%`;

/** The cause and what it would take, as lines for the bench's report (indented under the function). */
export function explain(build: BundleBuild, m: Measured, top = 4): string[] {
  const c = causeOf(build, m);
  const lines: string[] = [];
  const compilePct = Math.round(
    c.compileMs + c.evalMs > 0 ? (100 * c.compileMs) / (c.compileMs + c.evalMs) : 0,
  );
  lines.push(
    `over the floor: compile ${ms(c.compileMs)} (${compilePct}%), evaluation ${ms(c.evalMs)} (${100 - compilePct}%); ` +
      `${ms(c.overMs)} over the target of ${ms(c.targetMs)}`,
  );
  lines.push(
    `largest inputs: ${build.packages
      .slice(0, top)
      .map((p) => `${p.name} ${kb(p.bytes)} (${pct(p.share)})`)
      .join(', ')}`,
  );
  if (c.deferEval)
    lines.push(
      `evaluation: ${ms(c.evalMs)} runs at import` +
        (build.staticBuiltins.length
          ? `; built-ins loaded before any code runs: ${build.staticBuiltins
              .map((b) => (b.by.length ? `${b.name} (by ${b.by.join(', ')})` : b.name))
              .join(', ')}`
          : '; module-scope code of its inputs'),
    );
  if (c.deferEval && build.evaluatedAtImport.length)
    lines.push(
      `evaluated at import (static imports from the handler): ${build.evaluatedAtImport
        .slice(0, top)
        .map((p) => `${p.name} ${kb(p.bytes)}${p.via.length ? ` (imported by ${p.via.join(', ')})` : ''}`)
        .join(', ')}; import them on first use (\`await import()\`) where the path allows`,
    );
  const steps: string[] = [];
  if (c.deferEval) steps.push(`defer what runs at import (${ms(c.evalMs)})`);
  if (c.drop.length)
    steps.push(
      `drop or split ${c.drop.map((p) => `${p.name} (${kb(p.bytes)})`).join(', ')} ` +
        `(compile ${c.msPerKb.toFixed(3)} ms/KB in this bundle)`,
    );
  lines.push(
    steps.length
      ? `what it would take: ${steps.join(', and ')}: the import would be about ${ms(c.estimateMs)}` +
          (c.reachable
            ? ''
            : `, still over ${ms(c.targetMs)}: this function's own code is too large for the target`)
      : `what it would take: nothing identifiable from the build; the figure is within noise of the target (re-run on an idle machine)`,
  );
  return lines;
}
