import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileParameterStore } from '../../local/adapters/file-parameter-store.js';
import { ROOT } from '../helpers/local-world.js';

const PASSWORD = 'Pa55-word-from-stdin';
const P = '/ghes-ops/service-desk/custom-email/acme-support';
const SET = [
  'desk',
  'email',
  'set',
  'acme-support',
  '--address',
  'support@acme.example',
  '--smtp-host',
  'smtp.acme.example',
  '--smtp-port',
  '587',
  '--username',
  'support@acme.example',
  '--auth-method',
  'login',
];

/** A state dir and a config pointing at it; `cli` runs the real CLI (bin/ghes-ops.mjs) against it. */
function stateDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-desk-'));
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ stateDir: dir }));
  const cli = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
    if (!opts.env?.GHES_OPS_SMTP_PASSWORD) delete env.GHES_OPS_SMTP_PASSWORD;
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin', 'ghes-ops.mjs'), ...args, '--config', config],
      {
        encoding: 'utf8',
        timeout: 60_000,
        input: opts.input ?? '',
        env,
      },
    );
    const all = `${r.stdout}\n${r.stderr}`;
    expect(all).not.toContain(PASSWORD);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const params = new FileParameterStore(path.join(dir, 'parameters.json'));
  const file = () => readFileSync(path.join(dir, 'parameters.json'), 'utf8');
  return { cli, params, file };
}

describe('ghes-ops desk email', () => {
  it('ghes-ops scenarios lists the mail provider scenarios', () => {
    const r = stateDir().cli(['scenarios']);
    expect(r.code).toBe(0);
    for (const name of ['mail-forwards', 'mail-rewrites-from', 'mail-read-timeout', 'mail-forged-from'])
      expect(r.stdout).toMatch(new RegExp(`^${name} +\\S`, 'm'));
  });

  it('set (password from stdin), show masks it, enable only once verified, disable, reset', async () => {
    const { cli, params } = stateDir();
    const set = cli([...SET, '--password-stdin'], { input: `${PASSWORD}\n` });
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Stored the custom email address support@acme.example of acme-support');
    expect(await params.get(`${P}/password`)).toBe(PASSWORD);
    expect(await params.isSecure(`${P}/password`)).toBe(true);

    const show = cli(['desk', 'email', 'show', 'acme-support']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('acme-support: custom email address support@acme.example (disabled)');
    expect(show.stdout).toContain('smtp          smtp.acme.example:587 (STARTTLS required)');
    expect(show.stdout).toMatch(/password +\*+ \(set, never shown\)/);
    expect(show.stdout).toContain('verification  never verified');
    const json = JSON.parse(cli(['desk', 'email', 'show', 'acme-support', '--json']).stdout) as unknown;
    expect(json).toMatchObject({
      project: 'acme-support',
      password: 'set',
      settings: { authMethod: 'login' },
    });

    const refused = cli(['desk', 'email', 'enable', 'acme-support']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'ghes-ops: CustomEmailNotVerified: The custom email address support@acme.example',
    );
    expect(refused.stderr).toContain('ghes-ops desk verify acme-support');

    // What a successful verification leaves behind.
    await params.put(
      `${P}/state`,
      JSON.stringify({
        state: 'finished',
        triggeredBy: 'ops@acme.example',
        triggeredAt: '2025-06-02T09:00:00Z',
        finishedAt: '2025-06-02T09:01:00Z',
      }),
      { secure: false, overwrite: true },
    );
    const enable = cli(['desk', 'email', 'enable', 'acme-support']);
    expect(enable.code).toBe(0);
    expect(cli(['desk', 'email', 'show', 'acme-support']).stdout).toContain(
      'verification  verified at 2025-06-02T09:01:00Z, triggered by ops@acme.example',
    );
    expect(cli(['desk', 'email', 'disable', 'acme-support']).code).toBe(0);
    expect((JSON.parse((await params.get(`${P}/settings`))!) as { enabled: boolean }).enabled).toBe(false);

    const reset = cli(['desk', 'email', 'reset', 'acme-support']);
    expect(reset.code).toBe(0);
    for (const leaf of ['settings', 'password', 'state'])
      expect(await params.get(`${P}/${leaf}`)).toBeUndefined();
    expect(cli(['desk', 'email', 'show', 'acme-support']).stdout).toContain(
      'acme-support: no custom email address is set',
    );
  });

  it('takes the password from GHES_OPS_SMTP_PASSWORD, never from an argument', async () => {
    const { cli, params, file } = stateDir();
    const env = cli(SET, { env: { GHES_OPS_SMTP_PASSWORD: PASSWORD } });
    expect(env.code).toBe(0);
    expect(await params.get(`${P}/password`)).toBe(PASSWORD);

    for (const args of [
      [...SET, '--password', PASSWORD],
      [...SET, `--password=${PASSWORD}`],
    ]) {
      const r = cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('a password is never taken from the command line');
    }
    const none = cli(SET);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('the SMTP password is needed: pipe it with --password-stdin');
    // The file still holds the first password only once, as a secure parameter.
    expect(file().split(PASSWORD)).toHaveLength(2);
  });

  it('error paths exit non-zero with the message', () => {
    const { cli } = stateDir();
    const unknown = cli(['desk', 'email', 'show', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('"nope" is not a service desk project; known projects: acme-support');

    const invalid = cli(
      [
        ...SET.slice(0, 4),
        '--address',
        'support+x@acme.example',
        '--smtp-host',
        'smtp acme',
        '--smtp-port',
        '70000',
        '--auth-method',
        'ntlm',
        '--password-stdin',
      ],
      { input: `${PASSWORD}\nsecond line\n` },
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('ghes-ops: InputValidationError: Invalid custom email settings:');
    for (const field of [
      'address:',
      'smtpHost:',
      'smtpPort:',
      'username: is required',
      'authMethod:',
      'password:',
    ])
      expect(invalid.stderr).toContain(field);

    const notConfigured = cli(['desk', 'email', 'enable', 'acme-support']);
    expect(notConfigured.code).toBe(1);
    expect(notConfigured.stderr).toContain('CustomEmailNotConfigured');
    expect(cli(['desk', 'email', 'disable', 'acme-support']).stderr).toContain('CustomEmailNotConfigured');

    const usage = cli(['desk', 'email', 'frobnicate', 'acme-support']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('which command? set, show, reset, enable or disable');
    expect(cli(['desk']).stderr).toContain('desk: which command?');
    expect(cli(['desk', 'email', 'show']).stderr).toContain('which project?');
  });
});
