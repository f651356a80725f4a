import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { localHttpApi } from '../../local/stack-api.js';
import { realClock } from '../../shared/clock.js';
import { startGithubAppSandbox, type GithubAppSandbox } from '../../local/github-app-world.js';
import type { LocalWorld } from '../../local/world.js';
import { forgetGithubApp } from '../../shared/github-app/app-client.js';
import type { AppFeature } from '../../shared/github-app/config.js';
import { testWorld } from './local-world.js';

/** The local stack's GitHub App routes and the sandbox GHES, on ephemeral loopback ports. */
export interface AppStack {
  world: LocalWorld;
  gh: GithubAppSandbox;
  url: string;
  /** Real time, movable: `clock.advance(ms)`. */
  clock: { now: () => number; advance: (ms: number) => void };
  close(): Promise<void>;
}

export async function appStack(opts: { org?: string; features?: AppFeature[] } = {}): Promise<AppStack> {
  let offset = 0;
  const clock = { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
  const world = testWorld();
  const gh = await startGithubAppSandbox(world.sandbox!, { now: clock.now });
  // GitHub's one-hour limits are real time: the handlers read it from the world's wall clock.
  world.deps.wallClock = { ...realClock, now: clock.now };
  const server = localHttpApi(world);
  const { url } = await server.listen(0);
  world.config.githubApp = {
    ghesUrl: gh.url,
    publicUrl: url,
    name: 'ghes-ops',
    ...(opts.org === undefined ? { org: 'github' } : opts.org ? { org: opts.org } : {}),
    features: opts.features ?? ['service-desk', 'actions-sync'],
  };
  forgetGithubApp();
  return {
    world,
    gh,
    url,
    clock,
    close: async () => {
      forgetGithubApp();
      await Promise.all([server.close(), gh.close(), world.close?.()]);
    },
  };
}

/** Every file under `dir` (recursively) with its content. */
export function filesUnder(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ file: p, text: readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

export const formValue = (html: string, name: string): string => {
  const m = new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html);
  return (m?.[1] ?? '')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
};

export const formAction = (html: string): string =>
  (/<form[^>]*action="([^"]*)"/.exec(html)?.[1] ?? '').replace(/&amp;/g, '&');

/** An app stack with the app registered through the manifest flow (setup page, GHES create, redirect). */
export async function registeredAppStack(
  opts: { org?: string; features?: AppFeature[] } = {},
): Promise<AppStack> {
  const s = await appStack(opts);
  const setup = await (await fetch(`${s.url}/github-app/setup`)).text();
  const ghesPage = await (
    await fetch(formAction(setup), {
      method: 'POST',
      body: new URLSearchParams({ manifest: formValue(setup, 'manifest') }),
    })
  ).text();
  const form = new URLSearchParams();
  for (const f of ['manifest', 'state', 'owner', 'owner_type', 'name']) form.set(f, formValue(ghesPage, f));
  const created = await fetch(`${s.gh.url}${formAction(ghesPage)}`, {
    method: 'POST',
    redirect: 'manual',
    body: form,
  });
  const done = await fetch(created.headers.get('location')!, { redirect: 'manual' });
  if (done.status !== 302) throw new Error(`app registration failed: ${done.status}`);
  return s;
}
