import type { Deps } from '../../runtime/deps.js';
import { nodeCrypto, nodeNet } from '../../runtime/builtins.js';
import { ConfigError, InputValidationError } from '../../errors.js';
import type { SmtpAuthMethod, SmtpServerSettings } from '../../mail/smtp-submission.js';
import type { ParameterStore } from '../../params/parameter-store.js';
import { Fields, PATTERNS } from '../../validate.js';
import { PROJECT_SLUG, type DeskConfig, type DeskProject } from '../config.js';
import { CustomEmailNotConfigured, CustomEmailNotVerified, type VerificationErrorCode } from './errors.js';

/**
 * The custom email address of a service desk project (issue 5): the settings, the SMTP password
 * (a SecureString), the verification state and the verification's short-lived secrets, in the
 * parameter store under `<prefix>/service-desk/custom-email/<project slug>/`:
 *
 * | leaf | type | what |
 * | --- | --- | --- |
 * | `settings` | String | JSON `CustomEmailSettings` (never the password) |
 * | `password` | SecureString | the SMTP password |
 * | `state` | String | JSON `VerificationState` |
 * | `token` | SecureString | the expected verification token (deleted at finish) |
 * | `received-token` | SecureString | the token found in the forwarded mail (deleted at finish) |
 * | `waiting` | SecureString | JSON `WaitingVerification`: the task token of the waiting execution |
 */

export const AUTH_METHODS: readonly SmtpAuthMethod[] = ['plain', 'login', 'cram-md5', 'auto'];

export interface CustomEmailSettings {
  address: string;
  smtpHost: string;
  smtpPort: number;
  username: string;
  authMethod: SmtpAuthMethod;
  /** Whether outgoing service desk mail uses the custom address (only after a verification finished). */
  enabled: boolean;
  /** Fail a verification whose forwarded mail has an unauthenticated From (SPF/DKIM/DMARC). */
  strict: boolean;
}

export interface CustomEmailInput {
  address: string;
  smtpHost: string;
  smtpPort: number;
  username: string;
  password: string;
  authMethod?: SmtpAuthMethod;
  strict?: boolean;
}

export interface VerificationState {
  state: 'started' | 'finished' | 'failed';
  error?: VerificationErrorCode;
  /** Email address of whoever triggered the verification. */
  triggeredBy: string;
  triggeredAt: string;
  finishedAt?: string;
  executionArn?: string;
  verdicts?: { spf?: string; dkim?: string; dmarc?: string };
}

/** An execution waiting for the forwarded mail (the callback's task token). */
export interface WaitingVerification {
  taskToken: string;
  executionArn?: string;
  since: string;
}

/** What `show` returns: never the password, only whether one is stored. */
export interface CustomEmailView {
  settings?: CustomEmailSettings;
  password: 'set' | 'not set';
  state?: VerificationState;
}

/** Project slugs as in the desk config; also what keeps parameter names well-formed. */
const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * Checks a custom email settings object from the outside (CLI flags, an API body). Collects every
 * problem and throws one `InputValidationError`. The password is never echoed in a message.
 *
 * The address must be a plain ASCII mailbox without the subaddress delimiter `+` (the verification
 * mail goes to `<local>+verify@<domain>`; an address that already holds a `+` would make that
 * ambiguous). Other characters some providers use as delimiters (`-`, `=`) are common in ordinary
 * addresses (`help-desk@`), so they are allowed.
 */
export function parseCustomEmailInput(value: unknown): CustomEmailInput {
  const f = new Fields(value, 'custom email settings');
  f.done(); // not an object: nothing else to say
  f.only(['address', 'smtpHost', 'smtpPort', 'username', 'password', 'authMethod', 'strict']);
  const address = checkAddress(f);
  const smtpHost = checkHost(f);
  let smtpPort = 0;
  if (!f.has('smtpPort')) f.fail('smtpPort', 'is required: the SMTP submission port, e.g. 587 or 465');
  else smtpPort = f.integer('smtpPort', { min: 1, max: 65535, default: 0 });
  const username = f.requiredString('username', {
    pattern: /^[^\p{Cc}]+$/u,
    hint: 'the SMTP login name, usually the address itself, without control characters',
  });
  const password = checkPassword(f);
  const authMethod = f.oneOf('authMethod', AUTH_METHODS, 'auto') ?? 'auto';
  const strict = f.boolean('strict', false);
  f.done();
  return { address, smtpHost, smtpPort, username, password, authMethod, strict };
}

function checkAddress(f: Fields): string {
  const v = f.raw('address');
  const hint = 'a plain mailbox such as support@example.com';
  if (typeof v === 'string' && v !== '') {
    if (/[\r\n\0]/.test(v)) {
      f.fail('address', 'must not contain line breaks or NUL');
      return '';
    }
    if (NON_ASCII.test(v)) {
      f.fail(
        'address',
        'must be ASCII only: lookalike Unicode characters are refused (use the punycode form of the domain, xn--...)',
      );
      return '';
    }
    if (v.includes('+')) {
      f.fail(
        'address',
        `must not contain the subaddress delimiter "+": the verification mail goes to <local>+verify@<domain>; use ${v.replace(/\+[^@]*/, '')}`,
      );
      return '';
    }
  }
  return f.requiredString('address', { pattern: PATTERNS.email, hint, maxLength: 254 });
}

function checkHost(f: Fields): string {
  const v = f.raw('smtpHost');
  const hint = 'a DNS name such as smtp.example.com or an IP address';
  if (typeof v === 'string' && v !== '') {
    if (NON_ASCII.test(v)) {
      f.fail('smtpHost', `must be ASCII only (${hint}; use the punycode form xn--... of a Unicode name)`);
      return '';
    }
    if (nodeNet().isIP(v) === 6) return v;
  }
  return f.requiredString('smtpHost', { pattern: PATTERNS.host, hint, maxLength: 253 });
}

function checkPassword(f: Fields): string {
  const v = f.raw('password');
  if (v === undefined || v === null || v === '') {
    f.fail('password', 'is required (the SMTP password; it is stored as a secure parameter and never shown)');
    return '';
  }
  if (typeof v !== 'string') {
    f.fail('password', 'must be a string');
    return '';
  }
  if (v.length > 1024) {
    f.fail('password', `is too long (at most 1024 characters)`);
    return '';
  }
  if (/[\r\n\0]/.test(v)) {
    f.fail('password', 'must not contain line breaks or NUL (did a file add a second line?)');
    return '';
  }
  return v;
}

/**
 * The desk project named `project`; an unknown name throws `InputValidationError` listing the known
 * slugs (the callers' check before any store call).
 */
export function requireDeskProject(desk: Pick<DeskConfig, 'projects'>, project: unknown): DeskProject {
  const found = desk.projects.find((p) => p.slug === project);
  if (found) return found;
  const known = desk.projects.map((p) => p.slug).join(', ');
  const shown = typeof project === 'string' ? JSON.stringify(project.slice(0, 100)) : String(project);
  throw new InputValidationError(
    [
      {
        field: 'project',
        problem: `${project === undefined || project === '' ? 'is required' : `${shown} is not a service desk project`}; known projects: ${known}`,
      },
    ],
    'project',
  );
}

/** The parameter path of a project's custom email parameters. */
export function customEmailPath(parameterPrefix: string, project: string): string {
  if (typeof project !== 'string' || !PROJECT_SLUG.test(project))
    throw new InputValidationError(
      [{ field: 'project', problem: 'must be a project slug such as acme-support (a-z, 0-9, _ . -)' }],
      'project',
    );
  return `${parameterPrefix.replace(/\/+$/, '')}/service-desk/custom-email/${project}`;
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The largest multiple of 62 below 256: bytes at or above it are discarded (no modulo bias). */
const TOKEN_LIMIT = 256 - (256 % TOKEN_ALPHABET.length);

/**
 * A verification token: 12 characters of [A-Za-z0-9], each uniform. Random bytes at or above 248
 * (the largest multiple of 62 that fits in a byte) are discarded, so `byte % 62` has no bias.
 * `random` is the byte source (tests); default `crypto.randomBytes`.
 */
export function newVerificationToken(
  length = 12,
  random: (size: number) => Uint8Array = (size) => nodeCrypto().randomBytes(size),
): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte >= TOKEN_LIMIT) continue;
      out += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** `<local>+verify@<domain>`: where the verification mail is sent (and forwarded from). */
export function verifyAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1)
    throw new InputValidationError([{ field: 'address', problem: 'must be local@domain' }], 'address');
  return `${address.slice(0, at)}+verify@${address.slice(at + 1)}`;
}

const SETTINGS_KEYS = ['address', 'smtpHost', 'smtpPort', 'username', 'authMethod', 'enabled', 'strict'];

/** The custom email store of a function or the local world (SSM parameters under the prefix). */
export function customEmailStore(deps: Pick<Deps, 'params' | 'config'>): CustomEmailStore {
  return new CustomEmailStore(deps.params, deps.config.parameterPrefix);
}

/**
 * The custom email parameters of each project. Callers check the project against the desk config
 * first (`requireDeskProject`); the store only checks that it is a slug.
 */
export class CustomEmailStore {
  constructor(
    private readonly params: ParameterStore,
    private readonly parameterPrefix: string,
  ) {}

  /** The parameter name of one leaf (`settings`, `password`, `state`...). */
  name(project: string, leaf: string): string {
    return `${customEmailPath(this.parameterPrefix, project)}/${leaf}`;
  }

  private async json<T>(project: string, leaf: string): Promise<T | undefined> {
    const name = this.name(project, leaf);
    const text = await this.params.get(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ConfigError(
        `Parameter ${name} is not valid JSON. Run \`ghes-ops desk email reset ${project}\` and set the custom email again.`,
      );
    }
  }

  private async putJson(project: string, leaf: string, value: unknown, secure: boolean): Promise<void> {
    await this.params.put(this.name(project, leaf), JSON.stringify(value), { secure, overwrite: true });
  }

  async settings(project: string): Promise<CustomEmailSettings | undefined> {
    const s = await this.json<Partial<CustomEmailSettings>>(project, 'settings');
    if (s === undefined) return undefined;
    if (
      typeof s !== 'object' ||
      s === null ||
      SETTINGS_KEYS.some((k) => !(k in s)) ||
      !AUTH_METHODS.includes(s.authMethod as SmtpAuthMethod)
    )
      throw new ConfigError(
        `Parameter ${this.name(project, 'settings')} is incomplete. Run \`ghes-ops desk email set ${project} ...\` again.`,
      );
    return {
      address: String(s.address),
      smtpHost: String(s.smtpHost),
      smtpPort: Number(s.smtpPort),
      username: String(s.username),
      authMethod: s.authMethod as SmtpAuthMethod,
      enabled: s.enabled === true,
      strict: s.strict === true,
    };
  }

  async password(project: string): Promise<string | undefined> {
    return this.params.get(this.name(project, 'password'));
  }

  /**
   * Settings and password together, for sending through the customer's SMTP server. Throws
   * `CustomEmailNotConfigured` when either is missing.
   */
  async server(project: string): Promise<{ settings: CustomEmailSettings; server: SmtpServerSettings }> {
    const settings = await this.settings(project);
    const password = settings ? await this.password(project) : undefined;
    if (!settings || !password)
      throw new CustomEmailNotConfigured(
        `No custom email address is configured for ${project}${settings ? ' (the SMTP password is missing)' : ''}: set it with \`ghes-ops desk email set ${project} ...\`.`,
        { project },
      );
    return {
      settings,
      server: {
        host: settings.smtpHost,
        port: settings.smtpPort,
        username: settings.username,
        password,
        authMethod: settings.authMethod,
      },
    };
  }

  /**
   * Stores new settings (disabled) and the password (SecureString), and forgets any earlier
   * verification: its state and its secrets. New settings must be verified again before enabling.
   */
  async set(project: string, input: CustomEmailInput): Promise<CustomEmailSettings> {
    const settings: CustomEmailSettings = {
      address: input.address,
      smtpHost: input.smtpHost,
      smtpPort: input.smtpPort,
      username: input.username,
      authMethod: input.authMethod ?? 'auto',
      enabled: false,
      strict: input.strict ?? false,
    };
    // The password first: settings without a password would look configured.
    await this.params.put(this.name(project, 'password'), input.password, { secure: true, overwrite: true });
    await this.saveSettings(project, settings);
    await this.params.delete(this.name(project, 'state'));
    await this.discardSecrets(project);
    return settings;
  }

  /** Replaces the settings (the verification's start disables the address this way). */
  async saveSettings(project: string, settings: CustomEmailSettings): Promise<void> {
    await this.putJson(project, 'settings', settings, false);
  }

  /** Settings, whether a password is stored, and the verification state; never the password. */
  async show(project: string): Promise<CustomEmailView | undefined> {
    const [settings, password, state] = await Promise.all([
      this.settings(project),
      this.password(project),
      this.state(project),
    ]);
    if (!settings && password === undefined && !state) return undefined;
    return {
      ...(settings ? { settings } : {}),
      password: password ? 'set' : 'not set',
      ...(state ? { state } : {}),
    };
  }

  /** Deletes everything: settings, the password, the state and the verification secrets. */
  async reset(project: string): Promise<void> {
    for (const leaf of ['settings', 'password', 'state']) await this.params.delete(this.name(project, leaf));
    await this.discardSecrets(project);
  }

  /**
   * Uses the custom address for outgoing mail. Throws `CustomEmailNotConfigured` without settings
   * and password, `CustomEmailNotVerified` unless the last verification finished successfully.
   */
  async enable(project: string): Promise<CustomEmailSettings> {
    const { settings } = await this.server(project);
    const state = await this.state(project);
    if (state?.state !== 'finished')
      throw new CustomEmailNotVerified(
        `The custom email address ${settings.address} of ${project} is not verified (${describeState(state)}): run \`ghes-ops desk verify ${project}\`, fix what it reports, then enable it.`,
        { project, state: state?.state ?? 'none', ...(state?.error ? { error: state.error } : {}) },
      );
    const enabled = { ...settings, enabled: true };
    await this.saveSettings(project, enabled);
    return enabled;
  }

  /** Stops using the custom address (the settings and the verification stay). */
  async disable(project: string): Promise<CustomEmailSettings> {
    const settings = await this.settings(project);
    if (!settings)
      throw new CustomEmailNotConfigured(`No custom email address is configured for ${project}.`, {
        project,
      });
    const disabled = { ...settings, enabled: false };
    await this.saveSettings(project, disabled);
    return disabled;
  }

  async state(project: string): Promise<VerificationState | undefined> {
    return this.json<VerificationState>(project, 'state');
  }

  async saveState(project: string, state: VerificationState): Promise<void> {
    await this.putJson(project, 'state', state, false);
  }

  async token(project: string): Promise<string | undefined> {
    return this.params.get(this.name(project, 'token'));
  }

  async saveToken(project: string, token: string): Promise<void> {
    await this.params.put(this.name(project, 'token'), token, { secure: true, overwrite: true });
  }

  async receivedToken(project: string): Promise<string | undefined> {
    return this.params.get(this.name(project, 'received-token'));
  }

  async saveReceivedToken(project: string, token: string): Promise<void> {
    await this.params.put(this.name(project, 'received-token'), token, { secure: true, overwrite: true });
  }

  async waiting(project: string): Promise<WaitingVerification | undefined> {
    return this.json<WaitingVerification>(project, 'waiting');
  }

  async saveWaiting(project: string, waiting: WaitingVerification): Promise<void> {
    await this.putJson(project, 'waiting', waiting, true);
  }

  async deleteWaiting(project: string): Promise<void> {
    await this.params.delete(this.name(project, 'waiting'));
  }

  /** Deletes the token, the received token and the waiting task token. */
  async discardSecrets(project: string): Promise<void> {
    for (const leaf of ['token', 'received-token', 'waiting'])
      await this.params.delete(this.name(project, leaf));
  }
}

/** "never verified", "started at ...", "failed: incorrect_from". */
export function describeState(state: VerificationState | undefined): string {
  if (!state) return 'never verified';
  if (state.state === 'started') return `a verification started at ${state.triggeredAt} is running`;
  if (state.state === 'failed') return `the last verification failed: ${state.error ?? 'unknown error'}`;
  return `verified at ${state.finishedAt ?? state.triggeredAt}`;
}
