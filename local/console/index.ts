import { rmSync } from 'node:fs';
import type { LocalHttpServer } from '../http-server.js';
import type { LocalServiceDesk } from '../service-desk.js';
import type { LocalWorld } from '../world.js';
import { ConsoleAuth, newConsoleToken, saveConsoleToken } from './auth.js';
import { mountConsole, type Console } from './console.js';

export { mountConsole, type Console } from './console.js';

/**
 * The console of a local stack (`npm start`): a new token (kept in `<stateDir>/console-token` for
 * the CLI, unless the world is in memory), the console's routes on the stack's HTTP server, and
 * the desk's repository webhook on the sandbox GHES (`issue_comment`, `issues` to
 * `/service-desk/webhook`, signed with the desk's secret), so a comment posted on a ticket (from
 * the console or any GHES client) runs the desk's webhook handler as on GHES.
 */
export function startConsole(
  server: LocalHttpServer,
  world: LocalWorld,
  o: { desk?: LocalServiceDesk; httpUrl: string; token?: string },
): Console & { tokenFile?: string } {
  const token = o.token ?? newConsoleToken();
  const tokenFile = world.inMemory ? undefined : saveConsoleToken(world.config.local.stateDir, token);
  if (o.desk) connectDeskWebhook(o.desk, world, `${o.httpUrl}/service-desk/webhook`);
  const c = mountConsole(server, {
    world,
    auth: new ConsoleAuth(token),
    ...(o.desk ? { desk: o.desk } : {}),
  });
  return {
    ...c,
    ...(tokenFile ? { tokenFile } : {}),
    // The token dies with the stack: the CLI finds no stale token next time.
    close: () => {
      c.close();
      if (tokenFile) rmSync(tokenFile, { force: true });
    },
  };
}

/** The desk's webhook on each of its repositories on the sandbox GHES. */
export function connectDeskWebhook(desk: LocalServiceDesk, world: LocalWorld, url: string): void {
  const repos = new Set(world.config.serviceDesk?.desk.projects.map((p) => p.repo) ?? []);
  for (const repo of repos) desk.issues.addHook(repo, { url, secret: desk.webhookSecret });
}
