/**
 * `npm run bench`: runs every bench/*.ts except this one, one after the other, each in its own Node
 * process (the Node 22 running this script), printing their output as it comes. Exits non-zero if
 * any benchmark failed to run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== self && !f.endsWith('.d.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

if (benches.length === 0) {
  console.error(`no benchmark in ${here}${only.length ? ` matching ${only.join(', ')}` : ''}`);
  process.exit(1);
}

const failed: string[] = [];
for (const bench of benches) {
  console.log(`\n=== ${bench} ===`);
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, bench)], { stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (run.status !== 0) {
    failed.push(bench);
    console.log(`=== ${bench} FAILED (exit ${run.status ?? run.signal}) after ${seconds} s ===`);
  } else {
    console.log(`=== ${bench} done in ${seconds} s ===`);
  }
}
if (failed.length) {
  console.error(`\nbenchmarks that failed: ${failed.join(', ')}`);
  process.exit(1);
}
