import { describe, expect, it } from '@jest/globals';
import { defaultConfig, displayConfig, mergeConfig } from '../../local/config.js';
import { ConfigError } from '../../shared/errors.js';
import { configFromEnv } from '../../shared/config.js';

const base = defaultConfig('/project');

describe('local configuration', () => {
  it('defaults to the sandbox appliance, an outbox and 10x time', () => {
    expect(base.appliance).toEqual({ runner: 'sandbox', primary: 'ghe-primary', replica: 'ghe-replica' });
    expect(base.local.mail.transport).toBe('outbox');
    expect(base.local.timeScale).toBe(0.1);
  });

  it('switches to SSH with real time and drops the sandbox replica unless one is given', () => {
    const c = mergeConfig(
      base,
      { appliance: { runner: 'ssh', primary: 'ghes.example.com', ssh: { identityFile: '/k' } } },
      'f.json',
    );
    expect(c.appliance).toEqual({
      runner: 'ssh',
      primary: 'ghes.example.com',
      ssh: { user: 'admin', port: 122, identityFile: '/k' },
    });
    expect(c.local.timeScale).toBe(1);
  });

  it.each([
    [{ appliance: { runner: 'ssh' } }, /appliance.primary/],
    [{ appliance: { primary: 'ghes.example.com; rm -rf /' } }, /appliance.primary/],
    [{ appliance: { runner: 'ssm' } }, /appliance.runner/],
    [{ appliance: { ssh: { options: ['ProxyCommand=sh -c id'] } } }, /appliance.ssh.options/],
    [{ mail: { notify: ['not an address'] } }, /mail.notify/],
    [{ mail: { transport: 'smtp' } }, /mail.smtp/],
    [{ timeScale: 5 }, /timeScale/],
    [{ tiemScale: 0.5 }, /tiemScale.*not a known setting/],
  ])('refuses %j with a message naming the setting', (file, message) => {
    expect(() => mergeConfig(base, file, 'f.json')).toThrow(ConfigError);
    expect(() => mergeConfig(base, file, 'f.json')).toThrow(message);
  });

  it('masks secrets when displayed', () => {
    const c = mergeConfig(
      base,
      {
        mail: {
          transport: 'smtp',
          smtp: { host: 'smtp.example.com', port: 587, user: 'u', password: 'hunter2' },
        },
      },
      'f.json',
    );
    const shown = JSON.stringify(displayConfig(c));
    expect(shown).not.toContain('hunter2');
    expect(shown).toContain('"password":"****"');
    expect(shown).toContain('smtp.example.com');
  });
});

describe('Lambda configuration from the environment', () => {
  const env = {
    GHES_OPS_PRIMARY: 'i-0123456789abcdef0',
    GHES_OPS_MAIL_FROM: 'ops@example.com',
    GHES_OPS_NOTIFY: 'a@example.com, b@example.com',
  };

  it('reads the variables serverless.yml sets', async () => {
    const c = await configFromEnv({
      ...env,
      GHES_OPS_STATE_MACHINES: '{"support-bundle":"arn:aws:states:eu-west-1:1:stateMachine:x"}',
    });
    expect(c.appliance).toEqual({ runner: 'ssm', primary: 'i-0123456789abcdef0', replica: undefined });
    expect(c.mail.notify).toEqual(['a@example.com', 'b@example.com']);
    expect(c.stateMachines['support-bundle']).toContain('stateMachine:x');
  });

  it('fails fast naming the missing variable', async () => {
    await expect(configFromEnv({ GHES_OPS_MAIL_FROM: 'x@example.com' })).rejects.toThrow(/GHES_OPS_PRIMARY/);
    await expect(configFromEnv({ ...env, GHES_OPS_RUNNER: 'ssh' })).rejects.toThrow(/GHES_OPS_RUNNER/);
    await expect(configFromEnv({ ...env, GHES_OPS_STATE_MACHINES: '{' })).rejects.toThrow(
      /GHES_OPS_STATE_MACHINES/,
    );
  });

  it('loads the parsers of the optional parts only when their variables are set, and still checks them', async () => {
    const c = await configFromEnv(env);
    expect(c.githubApp).toBeUndefined();
    expect(c.serviceDesk).toBeUndefined();
    await expect(configFromEnv({ ...env, GHES_OPS_SERVICE_DESK: '{' })).rejects.toThrow(
      /GHES_OPS_SERVICE_DESK/,
    );
  });
});
