import { beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, InputValidationError } from '../../shared/errors.js';
import {
  CustomEmailNotConfigured,
  CustomEmailNotVerified,
} from '../../shared/service-desk/custom-email/errors.js';
import {
  CustomEmailStore,
  newVerificationToken,
  parseCustomEmailInput,
  requireDeskProject,
  verifyAddress,
  type CustomEmailInput,
  type VerificationState,
} from '../../shared/service-desk/custom-email/settings.js';
import { FileParameterStore } from '../../local/adapters/file-parameter-store.js';
import { failure } from '../helpers/failure.js';

const PASSWORD = 'S3cret-smtp-pass';
const valid = {
  address: 'support@acme.example',
  smtpHost: 'smtp.acme.example',
  smtpPort: 587,
  username: 'support@acme.example',
  password: PASSWORD,
};

/** The problems of an input, as `field: problem` lines. */
function problems(input: unknown): string[] {
  try {
    parseCustomEmailInput(input);
  } catch (e) {
    expect(e).toBeInstanceOf(InputValidationError);
    expect((e as Error).message).not.toContain(PASSWORD);
    return (e as InputValidationError).problems.map((p) => `${p.field}: ${p.problem}`);
  }
  throw new Error('expected an InputValidationError');
}

describe('parseCustomEmailInput', () => {
  it('accepts valid settings with defaults (auth auto, not strict)', () => {
    expect(parseCustomEmailInput(valid)).toEqual({ ...valid, authMethod: 'auto', strict: false });
    expect(parseCustomEmailInput({ ...valid, authMethod: 'cram-md5', strict: true })).toMatchObject({
      authMethod: 'cram-md5',
      strict: true,
    });
    for (const smtpHost of ['192.0.2.10', '2001:db8::25', 'mail-1.eu.example.com'])
      expect(parseCustomEmailInput({ ...valid, smtpHost }).smtpHost).toBe(smtpHost);
    for (const smtpPort of [1, 465, 65535])
      expect(parseCustomEmailInput({ ...valid, smtpPort }).smtpPort).toBe(smtpPort);
    expect(parseCustomEmailInput({ ...valid, address: 'help-desk@acme.example' }).address).toBe(
      'help-desk@acme.example',
    );
  });

  it('refuses a subaddress delimiter, lookalike Unicode, line breaks and malformed addresses', () => {
    expect(problems({ ...valid, address: 'support+desk@acme.example' })).toEqual([
      'address: must not contain the subaddress delimiter "+": the verification mail goes to <local>+verify@<domain>; use support@acme.example',
    ]);
    // Cyrillic "о" in "suppоrt".
    expect(problems({ ...valid, address: 'supp\u043ert@acme.example' })[0]).toMatch(
      /^address: must be ASCII only: lookalike Unicode/,
    );
    expect(problems({ ...valid, address: 'support@acme.example\r\nBcc: x@y.z' })).toEqual([
      'address: must not contain line breaks or NUL',
    ]);
    expect(problems({ ...valid, address: 'support' })[0]).toMatch(
      /^address: "support" is not valid: expected/,
    );
    expect(problems({ ...valid, address: '' })[0]).toMatch(/^address: is required/);
    expect(problems({ ...valid, address: 42 })[0]).toMatch(/^address: must be a string/);
  });

  it('refuses hosts that are not a DNS name or an IP address', () => {
    for (const smtpHost of ['smtp example.com', 'smtp.example.com:587', '-smtp.example.com', 'smtp;rm -rf'])
      expect(problems({ ...valid, smtpHost })[0]).toMatch(/^smtpHost: .* is not valid: expected a DNS name/);
    expect(problems({ ...valid, smtpHost: 'smtp.exämple.com' })[0]).toMatch(/^smtpHost: must be ASCII only/);
    expect(problems({ ...valid, smtpHost: undefined })[0]).toMatch(/^smtpHost: is required/);
  });

  it('refuses ports outside 1-65535 and non-numbers', () => {
    for (const smtpPort of [0, 65536, -25, 58.7, '587'])
      expect(problems({ ...valid, smtpPort })[0]).toMatch(
        /^smtpPort: must be a whole number from 1 to 65535/,
      );
    expect(problems({ ...valid, smtpPort: undefined })).toEqual([
      'smtpPort: is required: the SMTP submission port, e.g. 587 or 465',
    ]);
  });

  it('refuses an empty username or one with line breaks', () => {
    expect(problems({ ...valid, username: '' })[0]).toMatch(/^username: is required/);
    expect(problems({ ...valid, username: 'support\r\nRCPT TO:<x@y.z>' })[0]).toMatch(
      /^username: must not contain control characters/,
    );
  });

  it('refuses a missing or malformed password without echoing it', () => {
    expect(problems({ ...valid, password: '' })[0]).toMatch(/^password: is required/);
    expect(problems({ ...valid, password: 12345 })).toEqual(['password: must be a string']);
    expect(problems({ ...valid, password: `${PASSWORD}\n` })[0]).toMatch(
      /^password: must not contain line breaks or NUL/,
    );
    expect(problems({ ...valid, password: PASSWORD.repeat(100) })).toEqual([
      'password: is too long (at most 1024 characters)',
    ]);
  });

  it('refuses an unknown auth method, a non-boolean strict and unknown fields, all at once', () => {
    expect(problems({ ...valid, authMethod: 'xoauth2', strict: 'yes', pasword: 'typo' })).toEqual([
      'pasword: unknown field; expected one of address, smtpHost, smtpPort, username, password, authMethod, strict',
      'authMethod: must be one of plain, login, cram-md5, auto, got "xoauth2"',
      'strict: must be true or false, got "yes"',
    ]);
    expect(problems(null)).toEqual(['(input): must be a JSON object']);
  });
});

describe('tokens and addresses', () => {
  it('a token is 12 characters of [A-Za-z0-9], different each time', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => newVerificationToken()));
    expect(tokens.size).toBe(200);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9]{12}$/);
  });

  it('is unbiased: bytes 248-255 are discarded, 0-247 map to each character exactly 4 times', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    let offered = 0;
    const source = (size: number): Uint8Array => {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = all[(offered + i) % 256]!;
      offered += size;
      return out;
    };
    const token = newVerificationToken(248, source);
    const counts = new Map<string, number>();
    for (const c of token) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    expect([...counts.values()].every((n) => n === 4)).toBe(true);
    // Only discarded bytes: the generator asks for more instead of using them.
    let calls = 0;
    const high = (size: number): Uint8Array => {
      calls++;
      return calls < 3 ? new Uint8Array(size).fill(250) : new Uint8Array(size).fill(61);
    };
    expect(newVerificationToken(12, high)).toBe('999999999999');
    expect(calls).toBe(3);
  });

  it('verifyAddress inserts +verify', () => {
    expect(verifyAddress('support@acme.example')).toBe('support+verify@acme.example');
    expect(() => verifyAddress('support')).toThrow(InputValidationError);
  });

  it('requireDeskProject lists the known projects for an unknown one', () => {
    const desk = { projects: [{ slug: 'acme-support' }, { slug: 'beta-help' }] } as never;
    expect(requireDeskProject(desk, 'beta-help')).toEqual({ slug: 'beta-help' });
    const e = (() => {
      try {
        requireDeskProject(desk, 'nope');
      } catch (err) {
        return err as InputValidationError;
      }
      throw new Error('expected a rejection');
    })();
    expect(e).toBeInstanceOf(InputValidationError);
    expect(e.message).toContain(
      '"nope" is not a service desk project; known projects: acme-support, beta-help',
    );
  });
});

describe('CustomEmailStore (on the local parameter file)', () => {
  const prefix = '/ghes-ops';
  const P = '/ghes-ops/service-desk/custom-email/acme-support';
  let file: string;
  let params: FileParameterStore;
  let store: CustomEmailStore;
  const input: CustomEmailInput = { ...valid, authMethod: 'login' };
  const finished: VerificationState = {
    state: 'finished',
    triggeredBy: 'ops@acme.example',
    triggeredAt: '2025-06-02T09:00:00.000Z',
    finishedAt: '2025-06-02T09:01:00.000Z',
  };

  beforeEach(() => {
    file = path.join(mkdtempSync(path.join(tmpdir(), 'custom-email-')), 'parameters.json');
    params = new FileParameterStore(file);
    store = new CustomEmailStore(params, prefix);
  });

  it('set stores the settings disabled and the password as a SecureString, apart', async () => {
    await store.set('acme-support', input);
    expect(await params.isSecure(`${P}/password`)).toBe(true);
    expect(await params.get(`${P}/password`)).toBe(PASSWORD);
    expect(await params.isSecure(`${P}/settings`)).toBe(false);
    expect(await params.get(`${P}/settings`)).not.toContain(PASSWORD);
    expect(await store.settings('acme-support')).toEqual({
      address: 'support@acme.example',
      smtpHost: 'smtp.acme.example',
      smtpPort: 587,
      username: 'support@acme.example',
      authMethod: 'login',
      enabled: false,
      strict: false,
    });
    expect((await store.server('acme-support')).server).toEqual({
      host: 'smtp.acme.example',
      port: 587,
      username: 'support@acme.example',
      password: PASSWORD,
      authMethod: 'login',
    });
  });

  it('show never returns the password, only whether one is set', async () => {
    expect(await store.show('acme-support')).toBeUndefined();
    await store.set('acme-support', input);
    await store.saveState('acme-support', finished);
    const shown = await store.show('acme-support');
    expect(shown).toMatchObject({
      password: 'set',
      state: finished,
      settings: { address: 'support@acme.example' },
    });
    expect(JSON.stringify(shown)).not.toContain(PASSWORD);
    await params.delete(`${P}/password`);
    expect((await store.show('acme-support'))?.password).toBe('not set');
  });

  it('secrets of a verification are SecureStrings; discardSecrets deletes them', async () => {
    await store.saveToken('acme-support', 'Ab3dEf6hIj9K');
    await store.saveReceivedToken('acme-support', 'Ab3dEf6hIj9K');
    await store.saveWaiting('acme-support', { taskToken: 'task-token-1', since: '2025-06-02T09:00:00Z' });
    for (const leaf of ['token', 'received-token', 'waiting'])
      expect(await params.isSecure(`${P}/${leaf}`)).toBe(true);
    expect(await store.waiting('acme-support')).toEqual({
      taskToken: 'task-token-1',
      since: '2025-06-02T09:00:00Z',
    });
    await store.discardSecrets('acme-support');
    expect([
      await store.token('acme-support'),
      await store.receivedToken('acme-support'),
      await store.waiting('acme-support'),
    ]).toEqual([undefined, undefined, undefined]);
  });

  it('reset clears the credentials, the settings, the state and the secrets', async () => {
    await store.set('acme-support', input);
    await store.saveState('acme-support', finished);
    await store.saveToken('acme-support', 'Ab3dEf6hIj9K');
    await store.saveReceivedToken('acme-support', 'Ab3dEf6hIj9K');
    await store.saveWaiting('acme-support', { taskToken: 't', since: 'now' });
    await store.reset('acme-support');
    const left = JSON.parse(readFileSync(file, 'utf8')) as { parameters: Record<string, unknown> };
    expect(Object.keys(left.parameters)).toEqual([]);
    expect(await store.show('acme-support')).toBeUndefined();
  });

  it('set forgets an earlier verification: new settings must be verified again', async () => {
    await store.set('acme-support', input);
    await store.saveState('acme-support', finished);
    await store.saveToken('acme-support', 'Ab3dEf6hIj9K');
    await store.enable('acme-support');
    await store.set('acme-support', { ...input, smtpPort: 465 });
    expect(await store.state('acme-support')).toBeUndefined();
    expect(await store.token('acme-support')).toBeUndefined();
    expect((await store.settings('acme-support'))?.enabled).toBe(false);
    await expect(store.enable('acme-support')).rejects.toBeInstanceOf(CustomEmailNotVerified);
  });

  it('enable is refused when nothing is configured and unless the verification finished', async () => {
    const none = await failure(store.enable('acme-support'));
    expect(none).toBeInstanceOf(CustomEmailNotConfigured);
    expect(none.message).toContain('ghes-ops desk email set acme-support');
    await store.set('acme-support', input);
    const never = await failure(store.enable('acme-support'));
    expect(never).toBeInstanceOf(CustomEmailNotVerified);
    expect(never.message).toContain('never verified');
    for (const state of [
      { ...finished, state: 'started' as const, finishedAt: undefined },
      { ...finished, state: 'failed' as const, error: 'incorrect_from' as const },
    ]) {
      await store.saveState('acme-support', state);
      const e = await failure(store.enable('acme-support'));
      expect(e).toBeInstanceOf(CustomEmailNotVerified);
      expect(e.name).toBe('CustomEmailNotVerified');
    }
    expect((await failure(store.enable('acme-support'))).message).toContain(
      'the last verification failed: incorrect_from',
    );
    expect((await store.settings('acme-support'))?.enabled).toBe(false);
    await store.saveState('acme-support', finished);
    expect((await store.enable('acme-support')).enabled).toBe(true);
    expect((await store.settings('acme-support'))?.enabled).toBe(true);
    expect((await store.disable('acme-support')).enabled).toBe(false);
  });

  it('enable without a stored password is CustomEmailNotConfigured; disable without settings too', async () => {
    await store.set('acme-support', input);
    await store.saveState('acme-support', finished);
    await params.delete(`${P}/password`);
    const e = await failure(store.enable('acme-support'));
    expect(e).toBeInstanceOf(CustomEmailNotConfigured);
    expect(e.message).toContain('the SMTP password is missing');
    await store.reset('acme-support');
    await expect(store.disable('acme-support')).rejects.toBeInstanceOf(CustomEmailNotConfigured);
    await expect(store.server('acme-support')).rejects.toBeInstanceOf(CustomEmailNotConfigured);
  });

  it('refuses a project that is not a slug and a corrupt parameter', async () => {
    await expect(store.settings('../app')).rejects.toBeInstanceOf(InputValidationError);
    await expect(store.set('Acme Support', input)).rejects.toBeInstanceOf(InputValidationError);
    await params.put(`${P}/settings`, '{not json', { secure: false, overwrite: true });
    const e = await failure(store.settings('acme-support'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('ghes-ops desk email reset acme-support');
    await params.put(`${P}/settings`, '{"address":"a@b.c"}', { secure: false, overwrite: true });
    await expect(store.settings('acme-support')).rejects.toThrow(/is incomplete/);
  });
});
