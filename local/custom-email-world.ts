import { randomBytes } from 'node:crypto';
import type { DeskConfig } from '../shared/service-desk/config.js';
import { projectDeskAddresses } from '../shared/service-desk/custom-email/project.js';
import { customEmailStore } from '../shared/service-desk/custom-email/settings.js';
import { adminTokenParameter } from '../shared/service-desk/custom-email/trigger.js';
import { LocalServiceDesk } from './service-desk.js';
import {
  DEFAULT_CUSTOM_EMAIL,
  SandboxMailProvider,
  mailBehaviourFor,
} from './sandbox/mail-provider/index.js';
import type { LocalWorld } from './world.js';

/**
 * What the custom-email-verification workflow needs around the local world: the local service
 * desk (its SES stand-in; `+verify` mail resumes the waiting execution through the receive
 * function, as in AWS) and the sandbox mail provider of the custom domain, whose behaviour follows the world's
 * scenario (`mail-*`). `ghes-ops run`/`desk verify` and the tests start both for one run on
 * ephemeral ports; `npm start` wires the same pieces into its desk on port 2525.
 */

/**
 * Starts the sandbox mail provider forwarding to `deskSmtp`, and points the custom email settings
 * of the desk's first project at it: seeded from DEFAULT_CUSTOM_EMAIL when none are set; settings
 * of the sandbox address follow the provider's port (it changes every run). Other settings are
 * left alone.
 */
export async function startSandboxMailProvider(
  world: LocalWorld,
  desk: DeskConfig,
  deskSmtp: { host: string; port: number },
  say: (line: string) => void,
): Promise<SandboxMailProvider> {
  const project = desk.projects[0]!;
  const provider = new SandboxMailProvider({
    behaviour: mailBehaviourFor(world.config.local.scenario),
    deskSmtp,
    deskAddress: projectDeskAddresses(desk, project)[0]!,
    log: world.deps.log.child({ fn: 'sandboxMailProvider' }),
  });
  const endpoint = await provider.start();
  try {
    const store = customEmailStore(world.deps);
    const current = await store.settings(project.slug);
    if (!current) {
      await store.set(project.slug, {
        address: DEFAULT_CUSTOM_EMAIL.address,
        smtpHost: endpoint.host,
        smtpPort: endpoint.port,
        username: DEFAULT_CUSTOM_EMAIL.username,
        password: DEFAULT_CUSTOM_EMAIL.password,
        authMethod: DEFAULT_CUSTOM_EMAIL.authMethod,
      });
      say(`custom email: ${project.slug} set to ${DEFAULT_CUSTOM_EMAIL.address} (sandbox mail provider)`);
    } else if (
      current.address === DEFAULT_CUSTOM_EMAIL.address &&
      (current.smtpHost !== endpoint.host || current.smtpPort !== endpoint.port)
    ) {
      await store.saveSettings(project.slug, {
        ...current,
        smtpHost: endpoint.host,
        smtpPort: endpoint.port,
      });
    }
  } catch (e) {
    await provider.close();
    throw e;
  }
  say(
    `custom email: sandbox mail provider for ${DEFAULT_CUSTOM_EMAIL.address} on ${endpoint.host}:${endpoint.port} (${provider.behaviour}), forwarding to the service desk SMTP ${deskSmtp.host}:${deskSmtp.port}`,
  );
  return provider;
}

/**
 * The admin token `POST /service-desk/custom-email/{project}/verify` requires (the SecureString
 * `<prefix>/service-desk/admin-token`), created on the local stack when missing. Returns its name.
 */
export async function ensureAdminToken(world: LocalWorld): Promise<string> {
  const name = adminTokenParameter(world.config.parameterPrefix);
  if (!(await world.deps.params.get(name)))
    await world.deps.params.put(name, randomBytes(24).toString('base64url'), {
      secure: true,
      overwrite: true,
    });
  return name;
}

export interface CustomEmailSandbox {
  desk: LocalServiceDesk;
  provider: SandboxMailProvider;
  /** The project whose custom address the provider hosts (the desk's first project). */
  project: string;
  /** Resolves when every forward was sent and every received message processed. */
  settled(): Promise<void>;
}

/**
 * Starts a local service desk and the mail provider for `world` (sandbox runner only), both on
 * ephemeral loopback ports; `world.close()` stops them.
 */
export async function startCustomEmailSandbox(
  world: LocalWorld,
  say: (line: string) => void = () => undefined,
): Promise<CustomEmailSandbox | undefined> {
  if (!world.sandbox) {
    say(
      'custom email: no sandbox appliance, so no local service desk or mail provider: a verification waits for mail that cannot arrive.',
    );
    return undefined;
  }
  const settings = structuredClone(world.config.local.serviceDesk);
  settings.smtp = { ...settings.smtp, port: 0 };
  settings.sandboxGhes = { ...settings.sandboxGhes, port: 0 };
  let provider: SandboxMailProvider | undefined;
  const desk = new LocalServiceDesk({
    world,
    settings,
    verdicts: (envelope) => provider?.verdictsFor(envelope),
  });
  await desk.start();
  try {
    provider = await startSandboxMailProvider(
      world,
      settings.desk,
      { host: settings.smtp.host, port: desk.smtpPort },
      say,
    );
  } catch (e) {
    await desk.close();
    throw e;
  }
  const p = provider;
  world.onClose(async () => {
    await p.close();
    await desk.close();
  });
  return {
    desk,
    provider: p,
    project: settings.desk.projects[0]!.slug,
    settled: async () => {
      await p.settled();
      await desk.settled();
    },
  };
}
