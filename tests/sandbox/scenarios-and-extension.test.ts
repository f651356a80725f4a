import { describe, expect, it } from '@jest/globals';
import { scaledClock } from '../../shared/clock.js';
import { ConfigError } from '../../shared/errors.js';
import { SANDBOX_PRIMARY, SANDBOX_REPLICA } from '../../local/sandbox/appliance-names.js';
import type { CommandContext } from '../../local/sandbox/command-registry.js';
import { DEFAULT_DURATIONS } from '../../local/sandbox/durations.js';
import { isTarget } from '../../shared/validate.js';
import { Sandbox } from '../../local/sandbox/sandbox.js';
import { SCENARIOS } from '../../local/sandbox/scenarios.js';
import { command, manualSandbox, run } from './helpers.js';

describe('scenarios, durations and extension', () => {
  it('names the appliances with valid host names', () => {
    expect([SANDBOX_PRIMARY, SANDBOX_REPLICA]).toEqual(['ghe-primary', 'ghe-replica']);
    expect(isTarget(SANDBOX_PRIMARY) && isTarget(SANDBOX_REPLICA)).toBe(true);
    const { sandbox } = manualSandbox();
    expect(sandbox.applianceNames).toEqual(['ghe-primary', 'ghe-replica']);
    expect(sandbox.appliance('ghe-primary')).toMatchObject({
      role: 'primary',
      up: true,
      version: '3.17.2',
      arch: 'x86_64',
    });
    expect(sandbox.appliance('ghe-replica')).toMatchObject({
      role: 'replica',
      replication: { primary: 'ghe-primary', running: true },
    });
    expect(sandbox.appliance('ghe-replica').replication?.channels.map((c) => c.name)).toEqual([
      'mysql',
      'mssql',
      'redis',
      'elasticsearch',
      'git',
      'pages',
      'alambic',
      'git-hooks',
      'consul',
    ]);
  });

  it('lists every scenario with a one-line description', () => {
    expect(Object.keys(SCENARIOS)).toEqual([
      'healthy',
      'replica-lagging',
      'replica-warning',
      'primary-down',
      'promote-fails',
      'upload-fails',
      'slow',
      'bundle-slow',
      'bundle-session-drops',
      'promote-session-drops',
      // The failover's cloud around the appliances (local/sandbox/cloud/).
      'dns-fails',
      'lb-fails',
      'dns-stale-record',
      'actions-sync-no-workflow-scope',
      'actions-sync-not-owner',
      'actions-sync-386-binary',
      'actions-sync-one-fails',
      'actions-sync-transient',
      'actions-sync-version-changed',
      // The custom email domain's mail provider (local/sandbox/mail-provider/).
      'mail-forwards',
      'mail-rewrites-from',
      'mail-wrong-target',
      'mail-forwards-nothing',
      'mail-rejects-credentials',
      'mail-read-timeout',
      'mail-connection-refused',
      'mail-wrong-token',
      'mail-forged-from',
      'tls-expires-soon',
      'tls-renewal-fails',
      'tls-acme-stale',
      'tls-expired',
      'tls-wrong-hostname',
      'backup-stale',
      'backup-incomplete',
      'backup-stale-lock',
      'backup-disk-full',
      'jira-ranges-changed',
      'jira-version-conflict',
      'jira-fetch-fails',
    ]);
    for (const text of Object.values(SCENARIOS)) expect(text).toMatch(/^[^\n]{20,200}$/);
  });

  it('refuses an unknown scenario with a ConfigError that lists them', () => {
    let error: unknown;
    try {
      new Sandbox({ scenario: 'primary-on-fire', clock: scaledClock(0.001) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('Unknown sandbox scenario "primary-on-fire"');
    for (const name of Object.keys(SCENARIOS)) expect(message).toContain(`  ${name}: `);
  });

  it('combines scenarios with "+"', async () => {
    const { sandbox } = manualSandbox({ scenario: 'slow+upload-fails' });
    expect(sandbox.scenario).toBe('slow+upload-fails');
    expect(sandbox.durations.promote).toBe(18_000);
    expect(sandbox.faults).toEqual({ promoteBug: false, uploadBlocked: true, sessionDrop: false });
  });

  it('durations: defaults, overrides, slow x100, zeroDelays', async () => {
    expect(DEFAULT_DURATIONS).toMatchObject({ supportBundle: 120, promote: 180, drain: 20 });
    expect(manualSandbox({ durations: { promote: 1500 } }).sandbox.durations.promote).toBe(1500);
    expect(
      manualSandbox({ scenario: 'slow', durations: { supportBundle: 60 } }).sandbox.durations.supportBundle,
    ).toBe(6000);
    const { sandbox, clock } = manualSandbox({ zeroDelays: true });
    expect(Object.values(sandbox.durations).every((d) => d === 0)).toBe(true);
    const start = clock.now();
    const handle = sandbox.startLine('ghe-replica', 'ghe-repl-promote -y');
    expect(sandbox.poll(handle)).toMatchObject({ done: true, exitCode: 0 });
    await run(sandbox, 'ghe-primary', command('ghe-cluster-support-bundle', '-t', '1234567'));
    expect(clock.now()).toBe(start);
    expect(() => manualSandbox({ durations: { bundle: 3 } as never })).toThrow(ConfigError);
    expect(() => manualSandbox({ durations: { drain: -1 } })).toThrow('must be a number of seconds >= 0');
  });

  it('registerCommand adds a command (generator in virtual time) that reads state and pipes', async () => {
    const { sandbox, clock } = manualSandbox();
    sandbox.registerCommand('actions-sync', function* (ctx: CommandContext) {
      if (ctx.args[0] !== 'version') {
        ctx.printErr('unknown command');
        return 1;
      }
      yield 2;
      ctx.print(`GHES Actions Sync v0.2 on ${ctx.node.name} (${ctx.node.arch})`);
      return 0;
    });
    expect(sandbox.commands()).toContain('actions-sync');
    const start = clock.now();
    expect(await run(sandbox, 'ghe-primary', command('actions-sync', 'version'))).toEqual({
      status: 'Success',
      exitCode: 0,
      stdout: 'GHES Actions Sync v0.2 on ghe-primary (x86_64)\n',
      stderr: '',
    });
    expect(clock.now() - start).toBe(2_000);
    expect(() => sandbox.registerCommand('actions-sync', () => 0)).toThrow('already registered');
    sandbox.registerCommand('actions-sync', () => 3, { replace: true });
    expect((await run(sandbox, 'ghe-primary', command('actions-sync', 'version'))).exitCode).toBe(3);
  });

  it('a command that throws is reported as a sandbox internal error, not a hang', async () => {
    const { sandbox } = manualSandbox();
    sandbox.registerCommand('actions-sync', () => {
      throw new Error('boom');
    });
    const result = await run(sandbox, 'ghe-primary', command('actions-sync'));
    expect(result).toMatchObject({ status: 'Failed', exitCode: 70 });
    expect(result.stderr).toContain('sandbox: internal error');
    expect(result.stderr).toContain('boom');
  });

  it('a version-gated command appears only from its release', async () => {
    for (const [version, code] of [
      ['3.17.2', 127],
      ['3.19.1', 0],
    ] as const) {
      const { sandbox } = manualSandbox({ version });
      sandbox.registerCommand('ghe-backup-healthcheck', () => 0, { minVersion: '3.18.0' });
      expect(sandbox.poll(sandbox.startLine('ghe-primary', 'ghe-backup-healthcheck'))).toMatchObject({
        done: true,
        exitCode: code,
      });
    }
  });
});
