import nodemailer from 'nodemailer';
import type { OutboxMailer } from '../../local/adapters/outbox-mailer.js';
import {
  deskManagementRoutes,
  defaultDeskSettings,
  LocalServiceDesk,
  type LocalDeskOptions,
  type LocalDeskSettings,
} from '../../local/service-desk.js';
import { localHttpApi } from '../../local/stack-api.js';
import type { LocalWorld } from '../../local/world.js';
import { testWorld } from './local-world.js';

export interface TestDesk {
  world: LocalWorld;
  desk: LocalServiceDesk;
  outbox: OutboxMailer;
  /** The local HTTP API (the desk's webhook and unsubscribe routes through serviceDeskHttp). */
  url: string;
  close(): Promise<void>;
}

/**
 * A local world on the sandbox with the service desk as `npm start` runs it (SES stand-in on an
 * ephemeral port, a sandbox GHES, the HTTP API through the functions), in memory.
 */
export async function testDesk(
  opts: Pick<LocalDeskOptions, 'onOutcome' | 'verdicts' | 'retryFailedAfterMs'> & {
    settings?: (s: LocalDeskSettings) => void;
    scenario?: string;
  } = {},
): Promise<TestDesk> {
  const world = testWorld(opts.scenario ? { scenario: opts.scenario } : {});
  const http = localHttpApi(world);
  const { url } = await http.listen(0);
  const settings = defaultDeskSettings(url);
  settings.smtp.port = 0;
  settings.sandboxGhes.port = 0;
  opts.settings?.(settings);
  world.config.local.serviceDesk = { ...world.config.local.serviceDesk, ...settings };
  world.config.serviceDesk!.desk = settings.desk;
  const desk = new LocalServiceDesk({
    world,
    settings,
    ...(opts.onOutcome ? { onOutcome: opts.onOutcome } : {}),
    ...(opts.verdicts ? { verdicts: opts.verdicts } : {}),
    ...(opts.retryFailedAfterMs !== undefined ? { retryFailedAfterMs: opts.retryFailedAfterMs } : {}),
  });
  await desk.start();
  deskManagementRoutes(http, desk);
  // CLI commands find the stack where the config says it listens.
  world.config.local.http.port = Number(new URL(url).port);
  return {
    world,
    desk,
    outbox: world.outbox!,
    url,
    close: async () => {
      await desk.close();
      await http.close();
      await world.close();
    },
  };
}

/** Sends one raw message over SMTP to a loopback port (the desk's SES stand-in), as a mail server would. */
export async function smtpSend(
  port: number,
  envelope: { from: string; to: string | string[] },
  raw: string | Buffer,
): Promise<void> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    await t.sendMail({ envelope, raw });
  } finally {
    t.close();
  }
}
