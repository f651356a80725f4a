import { describe, expect, it } from '@jest/globals';
import { cronMatches, rateMs } from '../../local/schedules.js';
import { readTriggers } from '../../local/serverless-triggers.js';
import { ROOT } from '../helpers/local-world.js';

describe('schedules from serverless.yml', () => {
  it('reads the support-bundle schedule, disabled by default, with its input', () => {
    const [s] = readTriggers(ROOT).schedules.filter((x) => x.target.key === 'support-bundle');
    expect(s).toMatchObject({
      target: { kind: 'stateMachine', key: 'support-bundle' },
      enabled: false,
      input: { scope: 'primary' },
    });
    expect(s?.expression).toMatch(/^(cron|rate)\(/);
  });

  it('reads function schedules too (EventBridge Scheduler invoking a Lambda), disabled by default', () => {
    const [s] = readTriggers(ROOT).schedules.filter((x) => x.target.key === 'actionsSyncWatchUpgrade');
    expect(s).toMatchObject({
      target: { kind: 'function', key: 'actionsSyncWatchUpgrade' },
      enabled: false,
      expression: 'rate(1 hour)',
      input: {},
    });
  });

  it('evaluates AWS cron expressions in UTC', () => {
    const monday3am = new Date('2026-11-23T03:00:00Z');
    expect(cronMatches('cron(0 3 ? * MON *)', monday3am)).toBe(true);
    expect(cronMatches('cron(0 3 ? * MON *)', new Date('2026-11-24T03:00:00Z'))).toBe(false);
    expect(cronMatches('cron(0/15 * * * ? *)', new Date('2026-11-24T10:45:00Z'))).toBe(true);
    expect(cronMatches('cron(0/15 * * * ? *)', new Date('2026-11-24T10:46:00Z'))).toBe(false);
    expect(cronMatches('cron(30 2 1 JAN-MAR ? 2027)', new Date('2027-02-01T02:30:00Z'))).toBe(true);
    expect(() => cronMatches('cron(* *)', monday3am)).toThrow(/cron/);
  });

  it('turns rate expressions into milliseconds', () => {
    expect(rateMs('rate(5 minutes)')).toBe(300_000);
    expect(rateMs('rate(1 day)')).toBe(86_400_000);
    expect(rateMs('cron(0 3 * * ? *)')).toBeUndefined();
  });
});
