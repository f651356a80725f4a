import { describe, expect, it } from '@jest/globals';
import { defaultConfig, displayConfig, mergeConfig } from '../../local/config.js';
import { ConfigError } from '../../shared/errors.js';
import { configFromEnv } from '../../shared/config.js';
import { deskConfigFromEnv } from '../../shared/service-desk/config.js';

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

describe('local configuration in the shape of config --json', () => {
  it('reads the local block as the top-level spellings', () => {
    const smtp = { host: 'smtp.example.com', port: 587 };
    const a = mergeConfig(
      base,
      {
        local: {
          timeScale: 0.5,
          scenario: 'slow',
          stateDir: 'state',
          http: { port: 9000 },
          mail: { transport: 'smtp', smtp },
        },
      },
      '/etc/ghes-ops/f.json',
    );
    const b = mergeConfig(
      base,
      {
        timeScale: 0.5,
        scenario: 'slow',
        stateDir: 'state',
        http: { port: 9000 },
        mail: { transport: 'smtp', smtp },
      },
      '/etc/ghes-ops/f.json',
    );
    expect(a).toEqual(b);
    expect(a.local).toMatchObject({ timeScale: 0.5, scenario: 'slow', stateDir: '/etc/ghes-ops/state' });
    expect(a.local.mail).toEqual({ transport: 'smtp', smtp });
  });

  it('the whole output of config --json, written back as a file, gives the same configuration', () => {
    const shown = JSON.parse(JSON.stringify(displayConfig(base))) as Record<string, unknown>;
    expect(mergeConfig(base, shown, '/project/f.json')).toEqual(base);
    // The same with a real appliance over SSH and a changed desk (derived addresses follow).
    const ssh = mergeConfig(
      base,
      {
        appliance: { runner: 'ssh', primary: 'ghes.example.com' },
        mail: { notify: ['ops@localhost', 'sre@example.com'] },
        local: { serviceDesk: { desk: { local: 'help' } } },
      },
      '/project/f.json',
    );
    const again = JSON.parse(JSON.stringify(displayConfig(ssh))) as Record<string, unknown>;
    expect(mergeConfig(base, again, '/project/f.json')).toEqual(ssh);
  });

  it.each([
    [
      { stage: 'prod' },
      /stage is shown by config --json but not read from the file \(it is always "local" here/,
    ],
    [{ stateMachines: { failover: 'arn:x' } }, /stateMachines is shown by config --json .*AWS only/],
    [{ runbook: { tls: { hostname: 'ghes.example.com', port: 443 } } }, /runbook is shown by config --json/],
    [
      { local: { serviceDesk: { addresses: ['help@desk.example.com'] } } },
      /serviceDesk.addresses is shown by config --json .*derived: the desk addresses come from serviceDesk.desk/,
    ],
    [
      { local: { mail: { transport: 'smtp', smtp: { host: 'h', port: 25, password: '****' } } } },
      /local.mail.smtp.password is "\*\*\*\*", the mask/,
    ],
    [{ mail: { notify: ['ops@'] } }, /mail.notify must be a list of email addresses/],
  ])('refuses a changed fixed or derived key, a masked secret, a bad address: %j', (file, message) => {
    expect(() => mergeConfig(base, file, 'f.json')).toThrow(message);
  });

  it.each([
    [{ local: { timeScale: 0.5 }, timeScale: 0.5 }, /local.timeScale is also set as timeScale/],
    [{ local: { mail: { transport: 'outbox' } }, mail: { transport: 'outbox' } }, /local.mail.transport/],
    [{ local: { mail: { from: 'x@example.com' } } }, /local.mail.from is not a known setting/],
    [{ local: { stage: 'prod' } }, /local.stage is not a known setting/],
    [{ local: 5 }, /local must be an object/],
  ])('refuses %j', (file, message) => {
    expect(() => mergeConfig(base, file, 'f.json')).toThrow(message);
  });
});

describe('local service desk settings', () => {
  /** Every desk setting with a value other than the default. */
  const OTHER = {
    local: 'help',
    domain: 'Desk.Example.com',
    botName: 'Help Bot',
    projects: [
      {
        slug: 'payments',
        id: 7,
        suffix: 'pay',
        repo: 'ops/payments-tickets',
        reopen: false,
        closedMail: true,
      },
    ],
    dmarcFail: 'drop',
    burst: { max: 3, windowSeconds: 60 },
    maxAttachmentBytes: 1024,
    maxMessageBytes: 4096,
    publicUrl: 'https://desk.example.com/service-desk',
    recordPrefix: '/desk/records',
  };

  it.each(Object.keys(OTHER))('sets %s, checked by the parser the Lambdas use', (key) => {
    const c = mergeConfig(
      base,
      { serviceDesk: { desk: { [key]: OTHER[key as keyof typeof OTHER] } } },
      'f.json',
    );
    const want = deskConfigFromEnv({ GHES_OPS_SERVICE_DESK: JSON.stringify(OTHER) });
    expect(c.local.serviceDesk.desk[key as keyof typeof want]).toEqual(want[key as keyof typeof want]);
  });

  it('the whole block gives what GHES_OPS_SERVICE_DESK gives a Lambda, with its addresses', () => {
    const c = mergeConfig(base, { local: { serviceDesk: { desk: OTHER, maxSmtpBytes: 1000 } } }, 'f.json');
    expect(c.local.serviceDesk.desk).toEqual(
      deskConfigFromEnv({ GHES_OPS_SERVICE_DESK: JSON.stringify(OTHER) }),
    );
    expect(c.local.serviceDesk.addresses).toEqual([
      'help+payments-7-issue-@desk.example.com',
      'help+payments-pay@desk.example.com',
    ]);
    expect(c.local.serviceDesk.maxSmtpBytes).toBe(1000);
    // A nested setting alone keeps the rest of the default.
    const burst = mergeConfig(base, { serviceDesk: { desk: { burst: { max: 2 } } } }, 'f.json');
    expect(burst.local.serviceDesk.desk.burst).toEqual({ max: 2, windowSeconds: 300 });
    expect(burst.local.serviceDesk.desk.projects).toEqual(base.local.serviceDesk.desk.projects);
  });

  it.each([
    [{ serviceDesk: { desk: { burst: { max: 0 } } } }, /serviceDesk.burst must be/],
    [{ serviceDesk: { desk: { dmarcFail: 'bounce' } } }, /serviceDesk.dmarcFail/],
    [{ serviceDesk: { desk: { projects: [] } } }, /serviceDesk.projects must list at least one project/],
    [
      { serviceDesk: { desk: { burstLimit: 5 } } },
      /serviceDesk.desk.burstLimit is not a known service desk setting \(known: local, domain/,
    ],
    [{ serviceDesk: { addresses: ['a@b.c'] } }, /serviceDesk.addresses is shown by config --json .*derived/],
    [{ serviceDesk: { smtp: { port: 'x' } } }, /serviceDesk.smtp.port/],
    [{ serviceDesk: { maxSmtpBytes: -1 } }, /serviceDesk.maxSmtpBytes/],
  ])('refuses %j naming the setting', (file, message) => {
    expect(() => mergeConfig(base, file, 'f.json')).toThrow(ConfigError);
    expect(() => mergeConfig(base, file, 'f.json')).toThrow(message);
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

  it('reads an optional part with the parser its function declared, only when its variable is set', async () => {
    const parts = { serviceDesk: deskConfigFromEnv };
    const c = await configFromEnv(env, parts);
    expect(c.githubApp).toBeUndefined();
    expect(c.serviceDesk).toBeUndefined();
    await expect(configFromEnv({ ...env, GHES_OPS_SERVICE_DESK: '{' }, parts)).rejects.toThrow(
      /GHES_OPS_SERVICE_DESK/,
    );
  });

  it('a part set for another reader but not declared is not parsed, and reading it fails naming the fix', async () => {
    // As deployProbe: GHES_OPS_SERVICE_DESK is there for the doctor; the probe never reads the desk.
    const c = await configFromEnv({ ...env, GHES_OPS_SERVICE_DESK: '{ not even JSON' }, {});
    expect(c.stage).toBeDefined();
    expect(() => c.serviceDesk).toThrow(ConfigError);
    expect(() => c.serviceDesk).toThrow(
      /reads config.serviceDesk, but its handler does not declare that part/,
    );
    expect(JSON.stringify(c)).not.toContain('serviceDesk');
  });
});
