import { describe, expect, it } from '@jest/globals';
import { parseSupportBundleRequest } from '../../shared/support-bundle/request.js';
import { ConfigError, InputValidationError } from '../../shared/errors.js';
import type { Config } from '../../shared/config.js';
import { supportBundle } from '../../shared/appliance/ghe.js';
import { renderShell } from '../../shared/appliance/command.js';

const config: Config = {
  stage: 'test',
  appliance: { runner: 'sandbox', primary: 'ghe-primary', replica: 'ghe-replica' },
  mail: { from: 'ghes-ops@example.com', notify: ['ops@example.com'] },
  parameterPrefix: '/ghes-ops',
  stateMachines: {},
};

function problems(input: unknown, cfg = config): { field: string; problem: string }[] {
  try {
    parseSupportBundleRequest(input, cfg);
  } catch (e) {
    expect(e).toBeInstanceOf(InputValidationError);
    return (e as InputValidationError).problems;
  }
  throw new Error('expected the input to be refused');
}

describe('support-bundle input', () => {
  it('applies the defaults to a ticket-only input', () => {
    expect(parseSupportBundleRequest({ ticket: '1234567' }, config)).toEqual({
      ticket: '1234567',
      scope: 'primary',
      extended: false,
      attachReplicationStatus: false,
      notify: ['ops@example.com'],
      timeoutMinutes: 120,
      target: 'ghe-primary',
      replica: 'ghe-replica',
    });
  });

  it.each([['1234567; rm -rf /'], ['$(id)'], ['1234567\nreboot'], ['1'.repeat(5000)], ['123456'], [1234567]])(
    'refuses the injection or malformed ticket %p and names the field',
    (ticket) => {
      const found = problems({ ticket });
      expect(found.map((p) => p.field)).toEqual(['ticket']);
    },
  );

  it('refuses a shell payload in period, an unknown scope, a bad address and an unknown field at once', () => {
    const found = problems({
      ticket: '1234567',
      period: '2days; curl evil',
      scope: 'all',
      notify: ['x@@y'],
      tikcet: 1,
    });
    expect(found.map((p) => p.field).sort()).toEqual(['notify', 'period', 'scope', 'tikcet']);
  });

  it('refuses extended together with a period', () => {
    expect(problems({ ticket: '1234567', extended: true, period: '2days' })[0]?.field).toBe('period');
  });

  it('refuses a missing ticket with a hint on the format', () => {
    const [p] = problems({});
    expect(p).toEqual({ field: 'ticket', problem: expect.stringContaining('7-digit') });
  });

  it('needs a replica to attach the replication status', () => {
    const noReplica = { ...config, appliance: { runner: 'sandbox' as const, primary: 'ghe-primary' } };
    expect(() =>
      parseSupportBundleRequest({ ticket: '1234567', attachReplicationStatus: true }, noReplica),
    ).toThrow(ConfigError);
  });

  it('builds the documented command lines', () => {
    const base = parseSupportBundleRequest({ ticket: '7654321', period: '3days' }, config);
    expect(renderShell(supportBundle(base))).toBe('ghe-support-bundle -p 3days -t 7654321');
    const cluster = parseSupportBundleRequest(
      { ticket: '7654321', scope: 'cluster', extended: true },
      config,
    );
    expect(renderShell(supportBundle(cluster))).toBe('ghe-cluster-support-bundle -x -t 7654321');
  });
});
