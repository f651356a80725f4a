import path from 'node:path';
import { SandboxApps } from './sandbox/ghes/apps.js';
import { SandboxGhes } from './sandbox/ghes/ghes-server.js';
import type { Sandbox } from './sandbox/sandbox.js';

/**
 * The sandbox GHES that the GitHub App is registered on locally: a web + REST server (its own
 * instance, on `githubApp.ghesUrl`'s port, 8788 by default) with the apps endpoints, sharing the
 * sandbox's users and organizations.
 */
export interface GithubAppSandbox {
  ghes: SandboxGhes;
  apps: SandboxApps;
  url: string;
  close(): Promise<void>;
}

export async function startGithubAppSandbox(
  sandbox: Sandbox,
  opts: { port?: number; host?: string; now?: () => number; stateDir?: string } = {},
): Promise<GithubAppSandbox> {
  const ghes = new SandboxGhes(sandbox, opts.now ? { now: opts.now } : {});
  const apps = new SandboxApps(ghes, {
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.stateDir ? { journal: path.join(opts.stateDir, 'sandbox-ghes', 'apps.jsonl') } : {}),
  });
  const { url } = await ghes.start(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return { ghes, apps, url, close: () => ghes.close() };
}

/** The port of a loopback URL (the sandbox GHES only runs on loopback), or undefined. */
export function loopbackPort(url: string): number | undefined {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') return undefined;
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}
