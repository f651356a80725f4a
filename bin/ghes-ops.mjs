#!/usr/bin/env node
// ghes-ops CLI launcher. The CLI and the local engine need Node 22 (npm `node@22` is a
// devDependency, so `npx ghes-ops` and npm scripts already run on it); on an older Node this
// re-runs itself with that binary. TypeScript sources are loaded through tsx.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 22) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'local', 'cli', 'main.ts')).href);
} else {
  const node22 = path.join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(node22)) {
    console.error(
      `ghes-ops needs Node 22 or later (this is ${process.version}). Run \`npm ci\` in ${root} to install it.`,
    );
    process.exit(1);
  }
  const child = spawn(node22, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
