import { parseArgs } from 'node:util';
import { GhesOpsError } from '../../shared/errors.js';
import { tlsMode } from '../../shared/mail/nodemailer-smtp-submission.js';
import type { ParameterStore } from '../../shared/params/parameter-store.js';
import {
  CustomEmailStore,
  describeState,
  parseCustomEmailInput,
  requireDeskProject,
  type CustomEmailView,
} from '../../shared/service-desk/custom-email/settings.js';
import type { LocalConfig } from '../config.js';
import { localParams } from './app.js';
import { DESK_VERIFY_USAGE, verifyCommand } from './desk-verify.js';
import { runningStack, stackHeaders, stackUrl } from './stack-client.js';

/**
 * `ghes-ops desk ...`: the service desk from the command line. `desk email` manages a project's
 * custom email address in the local parameter file of the configured state dir (the one `npm start`
 * and `ghes-ops run` use). The SMTP password comes from standard input or an environment variable,
 * never from an argument (arguments are visible in `ps` and shell history), and is never printed.
 */
export const DESK_USAGE = `  ghes-ops desk email set <project> --address <addr> --smtp-host <host> --smtp-port <port>
      --username <user> [--auth-method plain|login|cram-md5|auto] [--strict]
      (--password-stdin | env GHES_OPS_SMTP_PASSWORD)
                                     store a project's custom email address (disabled until verified)
  ghes-ops desk email show <project> [--json]
                                     its settings (password masked) and verification state
  ghes-ops desk email reset <project>
                                     delete the settings, the password and the verification state
  ghes-ops desk email enable|disable <project>
                                     answer from the custom address (only once verified), or stop
${DESK_VERIFY_USAGE}
  ghes-ops desk replay [--failed] [--held] [--id <request or SES message id>]...
                                     re-ingest on the running stack (idempotent): the failed spool
                                     (default; also retried at every start), and with --held the
                                     burst-limited new mail, released from the limit
  ghes-ops desk spools [--json]      what the running stack holds: accepted and not yet handled,
                                     failed, held; and this run's outcomes by reason`;

const PASSWORD_ENV = 'GHES_OPS_SMTP_PASSWORD';

class DeskUsageError extends Error {
  override readonly name = 'UsageError';
}

export interface DeskCliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** All of standard input (read for `--password-stdin` only). */
  stdin: () => Promise<string>;
  env: Record<string, string | undefined>;
  /** Default: the parameter file of the config's state dir. */
  params?: ParameterStore;
  /** `ghes-ops run <args>`, for `desk verify` (runs the workflow in this process). */
  run?: (args: string[]) => Promise<number>;
}

/** Loads the local config (`--config <file>` or the default places). */
export type ConfigLoader = (file?: string) => Promise<LocalConfig>;

/**
 * Runs `ghes-ops desk <args>`. Exit codes: 0 done; 1 the settings or the state refused it (the
 * message says why and what to do); usage errors throw `DeskUsageError` (the CLI exits 2).
 */
export async function deskCommand(args: string[], loadConfig: ConfigLoader, io: DeskCliIo): Promise<number> {
  const [group, ...rest] = args;
  try {
    switch (group) {
      case 'email':
        return await emailCommand(rest, loadConfig, io);
      case 'verify':
        return await verifyCommand(rest, {
          loadConfig,
          out: io.out,
          err: io.err,
          ...(io.run ? { run: io.run } : {}),
        });
      case 'replay':
      case 'spools':
        return await spoolCommand(group, rest, loadConfig, io);
      default:
        throw new DeskUsageError(`desk: which command? email, verify, replay or spools.\n\n${DESK_USAGE}`);
    }
  } catch (e) {
    if (!(e instanceof GhesOpsError)) throw e;
    io.err(`ghes-ops: ${e.name}: ${e.message}`);
    return 1;
  }
}

/** `desk replay` and `desk spools`: the running stack's spools, through its management API. */
async function spoolCommand(
  cmd: 'replay' | 'spools',
  args: string[],
  loadConfig: ConfigLoader,
  io: DeskCliIo,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      id: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      failed: { type: 'boolean' },
      held: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
    },
  });
  const config = await loadConfig(values.config);
  const url = await runningStack(config);
  if (!url) {
    io.err(
      `ghes-ops: no stack answers at ${stackUrl(config)}. Start it (npm start): at start it re-ingests what was accepted and not handled, and retries the failed spool (${config.local.stateDir}/failed). In AWS, replay a dead letter with ghes-ops aws redrive <s3-key>.`,
    );
    return 1;
  }
  if (cmd === 'spools') {
    const s = (await (await fetch(`${url}/desk/spools`)).json()) as {
      incoming: string[];
      failed: { requestId: string; messageIds: string[]; error: string }[];
      held: { messageId: string; messageKey: string }[];
      counts: Record<string, number>;
    };
    if (values.json) io.out(JSON.stringify(s, null, 2));
    else {
      io.out(`incoming (accepted, not yet handled): ${s.incoming.length}`);
      for (const id of s.incoming) io.out(`  ${id}`);
      io.out(`failed (after the retries): ${s.failed.length}`);
      for (const f of s.failed) io.out(`  ${f.requestId}  mail ${f.messageIds.join(', ')}  ${f.error}`);
      io.out(`held (burst limit; ghes-ops desk replay --held): ${s.held.length}`);
      for (const h of s.held) io.out(`  ${h.messageId}  ${h.messageKey}`);
      io.out('outcomes since the stack started:');
      for (const [k, n] of Object.entries(s.counts)) io.out(`  ${k}: ${n}`);
    }
    return 0;
  }
  const res = await fetch(`${url}/desk/replay`, {
    method: 'POST',
    headers: stackHeaders(),
    body: JSON.stringify({
      // Without flags: the failed spool; --held alone: only the held mail.
      failed: values.failed === true || !values.held,
      held: values.held === true,
      ...(values.id ? { ids: values.id } : {}),
    }),
  });
  const body = (await res.json()) as { failed?: string[]; held?: string[]; error?: string };
  if (!res.ok) {
    io.err(`ghes-ops: ${body.error ?? `HTTP ${res.status}`}`);
    return 1;
  }
  const n = body.failed?.length ?? 0;
  const h = body.held?.length ?? 0;
  if (values.failed === true || !values.held)
    io.out(
      n
        ? `replaying ${n} failed message(s): ${body.failed!.join(', ')} (a message that was already handled makes no second ticket)`
        : values.id
          ? `nothing in the failed spool matches ${values.id.join(', ')}`
          : 'the failed spool is empty',
    );
  if (values.held)
    io.out(h ? `releasing ${h} held message(s): ${body.held!.join(', ')}` : 'no held message matches');
  return 0;
}

/** `--password`, `--password=...`, `--smtp-password`...: a secret on the command line. */
const PASSWORD_ARG = /^--(smtp-)?pass(word)?(=|$)/;

async function emailCommand(args: string[], loadConfig: ConfigLoader, io: DeskCliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (rest.some((a) => PASSWORD_ARG.test(a)))
    throw new DeskUsageError(
      `desk email: a password is never taken from the command line (other users see it in ps, and it stays in shell history). ` +
        `Pipe it with --password-stdin or set ${PASSWORD_ENV}.`,
    );
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      address: { type: 'string' },
      'smtp-host': { type: 'string' },
      'smtp-port': { type: 'string' },
      username: { type: 'string' },
      'auth-method': { type: 'string' },
      strict: { type: 'boolean' },
      'password-stdin': { type: 'boolean' },
    },
  });
  if (!['set', 'show', 'reset', 'enable', 'disable'].includes(sub ?? ''))
    throw new DeskUsageError(
      `desk email: which command? set, show, reset, enable or disable.\n\n${DESK_USAGE}`,
    );
  const [project, ...extra] = positionals;
  if (!project)
    throw new DeskUsageError(`desk email ${sub}: which project? ghes-ops desk email ${sub} <project>`);
  if (extra.length)
    throw new DeskUsageError(`desk email ${sub}: unexpected argument ${JSON.stringify(extra[0])}.`);
  const config = await loadConfig(values.config);
  requireDeskProject(config.local.serviceDesk.desk, project);
  const store = new CustomEmailStore(io.params ?? localParams(config), config.parameterPrefix);

  switch (sub) {
    case 'set': {
      const password = await readPassword(values['password-stdin'] === true, io);
      const port = values['smtp-port'];
      const input = parseCustomEmailInput({
        address: values.address,
        smtpHost: values['smtp-host'],
        smtpPort: port !== undefined && /^[0-9]{1,6}$/.test(port) ? Number(port) : port,
        username: values.username,
        password,
        ...(values['auth-method'] !== undefined ? { authMethod: values['auth-method'] } : {}),
        ...(values.strict ? { strict: true } : {}),
      });
      const settings = await store.set(project, input);
      io.out(
        `Stored the custom email address ${settings.address} of ${project} (SMTP ${settings.smtpHost}:${settings.smtpPort}, ` +
          `auth ${settings.authMethod}${settings.strict ? ', strict' : ''}); the password is a secure parameter and is never shown.`,
      );
      io.out(
        `It stays disabled until verified: ghes-ops desk verify ${project}, then ghes-ops desk email enable ${project}.`,
      );
      return 0;
    }
    case 'show': {
      const view = await store.show(project);
      if (values.json) io.out(JSON.stringify({ project, ...(view ?? { password: 'not set' }) }, null, 2));
      else for (const line of describeView(project, view)) io.out(line);
      return 0;
    }
    case 'reset':
      await store.reset(project);
      io.out(
        `Deleted the custom email settings, the SMTP password and the verification state of ${project}.`,
      );
      return 0;
    case 'enable': {
      const s = await store.enable(project);
      io.out(`Enabled the custom email address ${s.address} for ${project}.`);
      return 0;
    }
    default: {
      const s = await store.disable(project);
      io.out(`Disabled the custom email address ${s.address} for ${project}; the settings are kept.`);
      return 0;
    }
  }
}

/** The password from standard input (one trailing line break removed) or the environment. */
async function readPassword(fromStdin: boolean, io: DeskCliIo): Promise<string> {
  if (fromStdin) return (await io.stdin()).replace(/\r?\n$/, '');
  const env = io.env[PASSWORD_ENV];
  if (env !== undefined && env !== '') return env;
  throw new DeskUsageError(
    `desk email set: the SMTP password is needed: pipe it with --password-stdin (e.g. from a password manager) or set ${PASSWORD_ENV}.`,
  );
}

function describeView(project: string, view: CustomEmailView | undefined): string[] {
  if (!view?.settings) {
    const lines = [`${project}: no custom email address is set (ghes-ops desk email set ${project} ...).`];
    if (view?.password === 'set')
      lines.push('  a stored SMTP password is left over: ghes-ops desk email reset clears it');
    return lines;
  }
  const s = view.settings;
  const tls = tlsMode(s.smtpHost, s.smtpPort);
  return [
    `${project}: custom email address ${s.address} (${s.enabled ? 'enabled' : 'disabled'})`,
    `  smtp          ${s.smtpHost}:${s.smtpPort} (${tls.secure ? 'TLS' : tls.requireTLS ? 'STARTTLS required' : 'plaintext allowed on loopback'})`,
    `  username      ${s.username}`,
    `  auth method   ${s.authMethod}`,
    `  password      ${view.password === 'set' ? '******** (set, never shown)' : 'not set'}`,
    `  strict        ${s.strict ? 'yes: an unauthenticated From (SPF/DKIM/DMARC) fails the verification' : 'no'}`,
    `  verification  ${describeState(view.state)}${view.state ? `, triggered by ${view.state.triggeredBy}` : ''}`,
  ];
}
