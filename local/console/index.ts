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
  // The same token guards the management API's changes (start, stop, decide, replay, reset).
  server.requireToken(token);
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
