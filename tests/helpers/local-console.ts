import { newConsoleToken } from '../../local/console/auth.js';
import { startConsole, type Console } from '../../local/console/index.js';
import { defaultDeskSettings, deskManagementRoutes, LocalServiceDesk } from '../../local/service-desk.js';
import { localHttpApi } from '../../local/stack-api.js';
import type { LocalWorld, WorldOptions } from '../../local/world.js';
import { testWorld } from './local-world.js';

export interface ConsoleStack {
  world: LocalWorld;
  desk: LocalServiceDesk;
  console: Console;
  /** The local HTTP API (console under /console/). */
  url: string;
  token: string;
  close(): Promise<void>;
}

/**
 * A local stack as `npm start` wires it (HTTP API through the functions, the service desk with
 * its SES stand-in and sandbox GHES, the console), on ephemeral ports, in memory.
 */
export async function consoleStack(
  o: { scenario?: string; timeScale?: number; sandbox?: WorldOptions['sandbox'] } = {},
): Promise<ConsoleStack> {
  const world = testWorld({
    ...(o.sandbox ? { sandbox: o.sandbox } : {}),
    ...(o.scenario ? { scenario: o.scenario } : {}),
    ...(o.timeScale !== undefined ? { timeScale: o.timeScale } : {}),
  });
  const http = localHttpApi(world);
  const { url } = await http.listen(0);
  const settings = defaultDeskSettings(url);
  settings.smtp.port = 0;
  settings.sandboxGhes.port = 0;
  world.config.local.serviceDesk = { ...world.config.local.serviceDesk, ...settings };
  world.config.serviceDesk!.desk = settings.desk;
  world.config.local.http.port = Number(new URL(url).port);
  const desk = new LocalServiceDesk({ world, settings });
  await desk.start();
  deskManagementRoutes(http, desk);
  const token = newConsoleToken();
  const c = startConsole(http, world, { desk, httpUrl: url, token });
  return {
    world,
    desk,
    console: c,
    url,
    token,
    close: async () => {
      c.close();
      await desk.issues.settled();
      for (const e of world.engine.listExecutions({ status: 'RUNNING' }))
        await world.engine.stopExecution(e.executionArn, 'TestEnded', 'the test ended');
      await world.bus.settled();
      await desk.close();
      await http.close();
      await world.close();
    },
  };
}
