import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import type { Config, RunnerKind } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { isTarget, PATTERNS, TARGET_HINT } from '../shared/validate.js';
import { redact } from '../shared/logger.js';
import { defaultDeskSettings, deskAddresses, type LocalDeskSettings } from './service-desk.js';
import { parseDeskConfig } from '../shared/service-desk/config.js';
import { APP_FEATURES, checkGithubAppConfig } from '../shared/github-app/config.js';
import { SANDBOX_GHES_PORT } from './sandbox/ghes/ghes-server.js';
import { ATLASSIAN_RANGES_URL, DEFAULT_BACKUP_DATA_DIR } from '../shared/runbook/settings.js';

/**
 * Local configuration: the embedded default (the sandbox appliance, a local outbox, a parameter
 * file under .ghes-ops/) merged with an optional JSON file. `ghes-ops config --json` prints the
 * effective result with secrets masked.
 */
export interface LocalConfig extends Config {
  local: {
    /** Real ms per workflow ms: 1 is real time; the sandbox defaults to 0.1 (10x faster). */
    timeScale: number;
    /** Sandbox fault scenario (sandbox runner only). */
    scenario: string;
    /** Directory for local state: outbox, parameters, execution records. */
    stateDir: string;
    mail: {
      transport: 'outbox' | 'smtp';
      smtp?: { host: string; port: number; secure?: boolean; user?: string; password?: string };
    };
    http: { host: string; port: number };
    /** Service desk (sandbox): SMTP server, sandbox GHES API, desk settings and its addresses. */
    serviceDesk: LocalDeskSettings & { addresses: string[]; sandboxApiUrl: string };
  };
  /**
   * With a real appliance (runner "ssh"): switch Route 53 / the load balancer with the operator's
   * own AWS credentials (the SDK's default chain: environment, then this profile of
   * ~/.aws/credentials and ~/.aws/config, SSO). No keys here: only where to find them.
   */
  aws?: LocalAwsSettings;
}

export interface LocalAwsSettings {
  /** Named profile of the shared AWS config files. */
  profile?: string;
  /** Region of the load balancer (Route 53 is global). */
  region?: string;
}

const AWS_PROFILE = /^[A-Za-z0-9_.+=,@-]{1,64}$/;
const AWS_REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** The `aws` setting: a profile name and a region, never credentials. */
function parseAwsSettings(value: unknown, bad: (field: string, problem: string) => never): LocalAwsSettings {
  if (!isObj(value))
    return bad('aws', 'must be an object such as {"profile": "ops", "region": "ap-northeast-2"}');
  const out: LocalAwsSettings = {};
  for (const k of Object.keys(value)) {
    if (/key|secret|token|password|credential/i.test(k))
      bad(
        `aws.${k}`,
        'is not accepted: no credentials in the config file. Put them where the AWS SDK finds them (aws configure --profile NAME, aws sso login, or AWS_* environment variables) and name the profile here.',
      );
    if (k !== 'profile' && k !== 'region') bad(`aws.${k}`, 'is not a known setting (known: profile, region)');
  }
  if (value.profile !== undefined) {
    if (typeof value.profile !== 'string' || !AWS_PROFILE.test(value.profile))
      bad('aws.profile', 'must be a profile name of ~/.aws/config, e.g. "ops"');
    out.profile = value.profile;
  }
  if (value.region !== undefined) {
    if (typeof value.region !== 'string' || !AWS_REGION.test(value.region))
      bad('aws.region', 'must be an AWS region such as "ap-northeast-2"');
    out.region = value.region;
  }
  return out;
}

const DEFAULT_CONFIG_FILE = 'ghes-ops.config.json';
/** Port of the sandbox GHES web + REST server that `npm start` runs (the GitHub App's default GHES). */
export { SANDBOX_GHES_PORT };

export function defaultConfig(root: string): LocalConfig {
  return {
    stage: 'local',
    appliance: { runner: 'sandbox', primary: 'ghe-primary', replica: 'ghe-replica' },
    mail: { from: 'ghes-ops <ghes-ops@localhost>', notify: ['ops@localhost'] },
    parameterPrefix: '/ghes-ops',
    stateMachines: {},
    githubApp: {
      ghesUrl: `http://127.0.0.1:${SANDBOX_GHES_PORT}`,
      publicUrl: 'http://127.0.0.1:8787',
      name: 'ghes-ops',
      features: [...APP_FEATURES],
    },
    // The runbook workflows against the sandbox (shared/runbook/settings.ts).
    runbook: {
      tls: { hostname: 'github.sandbox.localhost', port: 443 },
      backup: {
        mode: 'backup-utils',
        host: 'ghe-backup',
        dataDir: DEFAULT_BACKUP_DATA_DIR,
        ebsVolumeId: 'vol-0123456789abcdef0',
        snapshotRetentionDays: 7,
      },
      jira: { prefixListId: 'pl-0123456789abcdef0', rangesUrl: ATLASSIAN_RANGES_URL },
    },
    local: {
      timeScale: 0.1,
      scenario: 'healthy',
      stateDir: path.join(root, '.ghes-ops'),
      mail: { transport: 'outbox' },
      http: { host: '127.0.0.1', port: 8787 },
      serviceDesk: localDesk('http://127.0.0.1:8787'),
    },
  };
}

function localDesk(httpUrl: string): LocalConfig['local']['serviceDesk'] {
  const d = defaultDeskSettings(httpUrl);
  return {
    ...d,
    addresses: deskAddresses(d.desk),
    sandboxApiUrl: `http://${d.sandboxGhes.host}:${d.sandboxGhes.port}/api/v3`,
  };
}

type Json = Record<string, unknown>;

/** An email address, or one at `localhost` (the default `ops@localhost`: local mail, the outbox). */
const isLocalAddress = (a: string): boolean =>
  PATTERNS.email.test(a) || /^[A-Za-z0-9._%+-]{1,64}@localhost$/.test(a);
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Applies a parsed config file over the default, checking every value it sets. */
export function mergeConfig(base: LocalConfig, input: unknown, source: string): LocalConfig {
  const bad = (field: string, problem: string): never => {
    throw new ConfigError(`${source}: ${field} ${problem}`);
  };
  if (!isObj(input)) return bad('(file)', 'must hold a JSON object');
  refuseMasked(input, '', bad);
  const file = hoistLocalBlock(JSON.parse(JSON.stringify(input)) as Json, bad); // a copy: takeShown removes keys
  // Shown by `config --json` but not settings: taken out here, checked against the result below.
  const shown = takeShown(file);
  const out: LocalConfig = structuredClone(base);
  const known = [
    'appliance',
    'mail',
    'parameterPrefix',
    'timeScale',
    'scenario',
    'stateDir',
    'http',
    'githubApp',
    'serviceDesk',
    'local',
    'aws',
    '$schema',
  ];
  for (const k of Object.keys(file))
    if (!known.includes(k)) bad(k, `is not a known setting (known: ${known.join(', ')})`);

  if (file.aws !== undefined) out.aws = parseAwsSettings(file.aws, bad);
  if (file.appliance !== undefined) {
    const a = file.appliance;
    if (!isObj(a)) bad('appliance', 'must be an object');
    const ap = a as Json;
    if (ap.runner !== undefined) {
      if (!['sandbox', 'ssh'].includes(ap.runner as string))
        bad('appliance.runner', 'must be "sandbox" or "ssh" locally ("ssm" is for AWS)');
      out.appliance.runner = ap.runner as RunnerKind;
    }
    for (const key of ['primary', 'replica'] as const) {
      if (ap[key] === undefined) continue;
      if (typeof ap[key] !== 'string' || !isTarget(ap[key]))
        bad(`appliance.${key}`, `must be ${TARGET_HINT}`);
      out.appliance[key] = ap[key] as string;
    }
    if (ap.ssh !== undefined) {
      if (!isObj(ap.ssh)) bad('appliance.ssh', 'must be an object');
      const s = ap.ssh as Json;
      const user = s.user ?? 'admin';
      const port = s.port ?? 122;
      if (typeof user !== 'string' || !/^[a-z_][a-z0-9_-]{0,31}$/.test(user))
        bad('appliance.ssh.user', 'must be a user name such as "admin"');
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
        bad('appliance.ssh.port', 'must be a port number (GHES uses 122)');
      if (s.identityFile !== undefined && typeof s.identityFile !== 'string')
        bad('appliance.ssh.identityFile', 'must be a path');
      if (
        s.options !== undefined &&
        (!Array.isArray(s.options) ||
          s.options.some((o) => typeof o !== 'string' || !/^[A-Za-z]+=[^\s]+$/.test(o)))
      ) {
        bad('appliance.ssh.options', 'must be a list of ssh -o settings such as "StrictHostKeyChecking=yes"');
      }
      out.appliance.ssh = {
        user: user as string,
        port: port as number,
        ...(s.identityFile ? { identityFile: s.identityFile as string } : {}),
        ...(s.options ? { options: s.options as string[] } : {}),
      };
    }
    if (out.appliance.runner === 'ssh' && (out.appliance.primary === 'ghe-primary' || !out.appliance.ssh)) {
      out.appliance.ssh ??= { user: 'admin', port: 122 };
      if (ap.primary === undefined)
        bad('appliance.primary', 'must be set to your appliance host name when appliance.runner is "ssh"');
    }
    if (out.appliance.runner === 'ssh' && ap.replica === undefined) delete out.appliance.replica;
  }

  if (file.mail !== undefined) {
    if (!isObj(file.mail)) bad('mail', 'must be an object');
    const m = file.mail as Json;
    if (m.from !== undefined) {
      if (typeof m.from !== 'string' || /[\r\n]/.test(m.from))
        bad('mail.from', 'must be an address such as "ghes-ops <ops@example.com>"');
      out.mail.from = m.from as string;
    }
    if (m.notify !== undefined) {
      if (!Array.isArray(m.notify) || m.notify.some((a) => typeof a !== 'string' || !isLocalAddress(a)))
        bad('mail.notify', 'must be a list of email addresses (name@localhost included: local mail)');
      out.mail.notify = m.notify as string[];
    }
    if (m.transport !== undefined) {
      if (m.transport !== 'outbox' && m.transport !== 'smtp')
        bad('mail.transport', 'must be "outbox" or "smtp"');
      out.local.mail.transport = m.transport as 'outbox' | 'smtp';
    }
    if (m.smtp !== undefined) {
      if (!isObj(m.smtp)) bad('mail.smtp', 'must be an object with host and port');
      const s = m.smtp as Json;
      if (typeof s.host !== 'string' || !PATTERNS.host.test(s.host))
        bad('mail.smtp.host', 'must be a host name');
      if (typeof s.port !== 'number' || !Number.isInteger(s.port))
        bad('mail.smtp.port', 'must be a port number');
      out.local.mail.smtp = {
        host: s.host as string,
        port: s.port as number,
        ...(s.secure !== undefined ? { secure: Boolean(s.secure) } : {}),
        ...(typeof s.user === 'string' ? { user: s.user } : {}),
        ...(typeof s.password === 'string' ? { password: s.password } : {}),
      };
    }
    if (out.local.mail.transport === 'smtp' && !out.local.mail.smtp)
      bad('mail.smtp', 'is required when mail.transport is "smtp"');
  }
  if (file.parameterPrefix !== undefined) {
    if (typeof file.parameterPrefix !== 'string' || !/^\/[A-Za-z0-9_./-]+$/.test(file.parameterPrefix))
      bad('parameterPrefix', 'must be a path such as "/ghes-ops"');
    out.parameterPrefix = file.parameterPrefix as string;
  }
  if (file.timeScale !== undefined) {
    if (typeof file.timeScale !== 'number' || !(file.timeScale > 0) || file.timeScale > 1)
      bad('timeScale', 'must be a number in (0, 1]');
    out.local.timeScale = file.timeScale as number;
  }
  if (file.scenario !== undefined) {
    if (typeof file.scenario !== 'string') bad('scenario', 'must be a scenario name');
    out.local.scenario = file.scenario as string;
  }
  if (file.stateDir !== undefined) {
    if (typeof file.stateDir !== 'string') bad('stateDir', 'must be a directory path');
    out.local.stateDir = path.resolve(path.dirname(source), file.stateDir as string);
  }
  if (file.http !== undefined) {
    if (!isObj(file.http)) bad('http', 'must be an object with host and port');
    const h = file.http as Json;
    if (h.host !== undefined)
      out.local.http.host =
        typeof h.host === 'string' && h.host ? h.host : bad('http.host', 'must be a host name or address');
    if (h.port !== undefined) {
      if (typeof h.port !== 'number' || !Number.isInteger(h.port) || h.port < 0 || h.port > 65535)
        bad('http.port', 'must be a port number');
      out.local.http.port = h.port as number;
    }
  }
  const app = file.githubApp;
  if (app !== undefined && !isObj(app)) bad('githubApp', 'must be an object');
  const appFile = (app ?? {}) as Json;
  const publicUrl =
    appFile.publicUrl ??
    (out.githubApp?.publicUrl === 'http://127.0.0.1:8787'
      ? `http://${out.local.http.host}:${out.local.http.port}`
      : out.githubApp?.publicUrl);
  out.githubApp = checkGithubAppConfig({ ...out.githubApp, ...appFile, publicUrl }, (field, problem) =>
    bad(`githubApp.${field}`, problem),
  );
  if (out.appliance.runner !== 'sandbox') out.local.timeScale = 1;
  out.local.serviceDesk = localDesk(`http://${out.local.http.host}:${out.local.http.port}`);
  if (file.serviceDesk !== undefined) applyDeskBlock(out, file.serviceDesk, bad, source);
  checkShown(shown, out, bad);
  return out;
}

// ---- what `config --json` shows but the file does not set ----------------------------------------

/** Keys `config --json` prints that are fixed or derived, with what to do instead of setting them. */
const SHOWN_ONLY: { path: string[]; why: string }[] = [
  { path: ['stage'], why: 'it is always "local" here (the serverless stage in AWS)' },
  { path: ['stateMachines'], why: 'AWS only: the local engine runs statemachines/' },
  { path: ['runbook'], why: 'the runbook workflows use the sandbox settings locally' },
  ...['addresses', 'sandboxApiUrl', 'sandboxGhes'].map((k) => ({
    path: ['serviceDesk', k],
    why: 'derived: the desk addresses come from serviceDesk.desk, the sandbox GHES from githubApp.ghesUrl',
  })),
];

type Shown = { path: string[]; why: string; value: unknown }[];

/** Removes the shown-only keys from the (hoisted) file and returns them. */
function takeShown(file: Json): Shown {
  const taken: Shown = [];
  for (const { path: p, why } of SHOWN_ONLY) {
    const parent = p.slice(0, -1).reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), file);
    const key = p.at(-1)!;
    if (!isObj(parent) || !(key in parent)) continue;
    taken.push({ path: p, why, value: parent[key] });
    delete parent[key];
  }
  return taken;
}

/**
 * A whole `config --json` document can be pasted back: its fixed and derived keys are accepted
 * when they hold what this configuration shows anyway, and refused (saying why) when changed.
 */
function checkShown(shown: Shown, out: LocalConfig, bad: (field: string, problem: string) => never): void {
  if (!shown.length) return;
  // Through JSON, as config --json prints it (and plain objects of this realm on both sides).
  const printed = JSON.parse(JSON.stringify(redact(out))) as Json;
  for (const { path: p, why, value } of shown) {
    const at = p[0] === 'serviceDesk' ? ['local', ...p] : p;
    const effective = at.reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), printed);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(value ?? null)), effective ?? null))
      bad(p.join('.'), `is shown by config --json but not read from the file (${why}): remove it`);
  }
}

/** `config --json` masks secrets as ****: pasted back, that would become the secret. */
function refuseMasked(value: unknown, at: string, bad: (field: string, problem: string) => never): void {
  if (value === '****')
    bad(
      at || '(file)',
      'is "****", the mask config --json prints for a secret: write the real value, or remove it',
    );
  if (Array.isArray(value)) value.forEach((v, i) => refuseMasked(v, `${at}[${i}]`, bad));
  else if (isObj(value))
    for (const [k, v] of Object.entries(value)) refuseMasked(v, at ? `${at}.${k}` : k, bad);
}

// ---- the `local` block and the service desk block (README "Configuration") ----------------------

/** Settings of the file's `local` block, as `ghes-ops config --json` shows them under `local`. */
const LOCAL_BLOCK_KEYS = ['timeScale', 'scenario', 'stateDir', 'mail', 'http', 'serviceDesk'] as const;

/**
 * The file may be written in the shape `ghes-ops config --json` prints: `local.timeScale`,
 * `local.scenario`, `local.stateDir`, `local.mail.transport|smtp`, `local.http`,
 * `local.serviceDesk`. These are moved to where the parser reads them (the top-level spellings
 * `timeScale`, `stateDir`, ... and `mail.transport|smtp` are still read). A setting given both ways
 * is refused.
 */
function hoistLocalBlock(file: Json, bad: (field: string, problem: string) => never): Json {
  if (file.local === undefined) return file;
  if (!isObj(file.local)) return bad('local', 'must be an object');
  const { local, ...rest } = file;
  const out: Json = { ...rest };
  for (const [k, v] of Object.entries(local)) {
    if (!(LOCAL_BLOCK_KEYS as readonly string[]).includes(k))
      bad(`local.${k}`, `is not a known setting (known: ${LOCAL_BLOCK_KEYS.join(', ')})`);
    if (k === 'mail') {
      if (!isObj(v)) bad('local.mail', 'must be an object with transport and smtp');
      for (const m of Object.keys(v))
        if (m !== 'transport' && m !== 'smtp')
          bad(`local.mail.${m}`, 'is not a known setting (known: transport, smtp)');
      const top = (out.mail ?? {}) as Json;
      if (!isObj(top)) bad('mail', 'must be an object');
      for (const m of Object.keys(v))
        if (top[m] !== undefined) bad(`local.mail.${m}`, `is also set as mail.${m}: keep one`);
      out.mail = { ...top, ...v };
      continue;
    }
    if (out[k] !== undefined) bad(`local.${k}`, `is also set as ${k}: keep one`);
    out[k] = v;
  }
  return out;
}

/** Plain objects merged key by key; anything else (arrays included) replaced. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * `local.serviceDesk`: `desk` holds the desk settings, merged over the default desk and checked
 * by the parser the Lambdas use for GHES_OPS_SERVICE_DESK (shared/service-desk/config.ts), so
 * every desk setting it knows can be set locally, settings added later included. `smtp` is the
 * SES stand-in's listener, `maxSmtpBytes` the largest message it accepts. `addresses`,
 * `sandboxApiUrl` and `sandboxGhes` are derived (shown by `config --json`, not set).
 */
function applyDeskBlock(
  out: LocalConfig,
  desk: unknown,
  bad: (field: string, problem: string) => never,
  source: string,
): void {
  if (!isObj(desk)) bad('serviceDesk', 'must be an object');
  const d = desk;
  const settable = ['desk', 'smtp', 'maxSmtpBytes'];
  for (const k of Object.keys(d))
    if (!settable.includes(k))
      bad(`serviceDesk.${k}`, `is not a known setting (known: ${settable.join(', ')})`);
  const sd = out.local.serviceDesk;
  if (d.desk !== undefined) {
    if (!isObj(d.desk)) bad('serviceDesk.desk', 'must be an object of service desk settings');
    const parsed = parseDeskConfig(deepMerge(sd.desk, d.desk), source);
    const known = Object.keys(parsed);
    for (const k of Object.keys(d.desk))
      if (!known.includes(k))
        bad(`serviceDesk.desk.${k}`, `is not a known service desk setting (known: ${known.join(', ')})`);
    sd.desk = parsed;
    sd.addresses = deskAddresses(parsed);
  }
  if (d.smtp !== undefined) {
    if (!isObj(d.smtp)) bad('serviceDesk.smtp', 'must be an object with host and port');
    const s = d.smtp;
    for (const k of Object.keys(s))
      if (k !== 'host' && k !== 'port')
        bad(`serviceDesk.smtp.${k}`, 'is not a known setting (known: host, port)');
    if (s.host !== undefined) {
      if (typeof s.host !== 'string' || !s.host)
        bad('serviceDesk.smtp.host', 'must be a host name or address');
      sd.smtp.host = s.host;
    }
    if (s.port !== undefined) {
      if (typeof s.port !== 'number' || !Number.isInteger(s.port) || s.port < 0 || s.port > 65535)
        bad('serviceDesk.smtp.port', 'must be a port number (0: any free port)');
      sd.smtp.port = s.port;
    }
  }
  if (d.maxSmtpBytes !== undefined) {
    if (typeof d.maxSmtpBytes !== 'number' || !Number.isInteger(d.maxSmtpBytes) || d.maxSmtpBytes < 1)
      bad('serviceDesk.maxSmtpBytes', 'must be a positive whole number of bytes');
    sd.maxSmtpBytes = d.maxSmtpBytes;
  }
}

/** Reads the effective local configuration: default, then the file (`--config`, GHES_OPS_CONFIG or ./ghes-ops.config.json). */
export async function loadLocalConfig(root: string, file?: string): Promise<LocalConfig> {
  const base = defaultConfig(root);
  const candidate =
    file ??
    process.env.GHES_OPS_CONFIG ??
    (existsSync(path.join(root, DEFAULT_CONFIG_FILE)) ? path.join(root, DEFAULT_CONFIG_FILE) : undefined);
  if (!candidate) return base;
  const source = path.resolve(candidate);
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch {
    throw new ConfigError(`Cannot read the config file ${source}: check the path given to --config.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  return mergeConfig(base, parsed, source);
}

/** The configuration for display: secrets masked. */
export function displayConfig(config: LocalConfig): unknown {
  return redact(config);
}
