import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../../local/config.js';
import { judgeReplication, parseReplStatus } from '../../shared/failover/repl-status.js';
import {
  explainPromotionFailure,
  PROMOTE_JQ_BUG,
  PROMOTE_SUCCESS,
  promotionProgress,
} from '../../shared/failover/promote.js';
import { parseFailoverRequest, recordType } from '../../shared/failover/request.js';
import { ROOT } from '../helpers/local-world.js';
import { renderShell, type ApplianceCommand } from '../../shared/appliance/command.js';
import type { CommandRunner } from '../../shared/appliance/runner.js';
import type { ApplianceHttp } from '../../shared/http/appliance-http.js';
import { realClock } from '../../shared/clock.js';
import { verifyFailover } from '../../shared/failover/verify.js';
import { restoreService } from '../../shared/failover/restore.js';
import { markLockPhase } from '../../shared/failover/lock.js';
import { failoverParams } from '../../shared/failover/names.js';
import { createLogger } from '../../shared/logger.js';
import { memoryParams } from '../helpers/failover.js';

const fixture = (name: string): string =>
  readFileSync(path.join(ROOT, 'tests', 'fixtures', 'appliance', name), 'utf8');
const EXEC = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:ghes-ops-dev-failover:run-1',
  name: 'run-1',
};

describe('ghe-repl-status parser', () => {
  it('reads every channel of the healthy -vv output as OK', () => {
    const s = parseReplStatus(fixture('repl-status-healthy-vv.txt'));
    expect(s.channels.map((c) => c.name)).toEqual([
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
    expect(s.channels.every((c) => c.status === 'OK')).toBe(true);
    expect(judgeReplication(s, 30)).toEqual({ healthy: true, problems: [], accepted: [] });
  });

  it('reads lag from the lagging output: mysql seconds, git pending items and DELAY', () => {
    const s = parseReplStatus(fixture('repl-status-lagging-v.txt'));
    const mysql = s.channels.find((c) => c.name === 'mysql')!;
    const git = s.channels.find((c) => c.name === 'git')!;
    expect(mysql).toMatchObject({ status: 'WARNING', lagSeconds: 29 });
    expect(git).toMatchObject({ status: 'CRITICAL', pendingItems: 150, lagSeconds: 412.7 });
    const v = judgeReplication(s, 30);
    expect(v.problems.map((p) => p.channel)).toEqual(['git']);
    // The same policy before and after the drain: a WARNING within the limit passes, and says so.
    expect(v.accepted).toEqual([
      {
        channel: 'mysql',
        line: 'WARNING: mysql replication delay is 29s',
        why: 'WARNING accepted: lag 29s is within the limit of 30s (maxReplicationLagSeconds)',
      },
    ]);
    expect(judgeReplication(s, 10).problems.map((p) => p.channel)).toEqual(['mysql', 'git']);
  });

  it('accepts the newer phrasing and treats a warning without a lag figure as unhealthy', () => {
    const s = parseReplStatus(fixture('repl-status-newer-phrasing.txt'));
    expect(s.channels).toHaveLength(9);
    const v = judgeReplication(s, 60);
    expect(v.problems.map((p) => p.channel)).toEqual(['git']);
  });

  it('is unhealthy with no channel, replication stopped, or a non-replica', () => {
    expect(judgeReplication(parseReplStatus(''), 30).healthy).toBe(false);
    expect(
      judgeReplication(
        parseReplStatus("WARNING: replication is not running. Run `ghe-repl-start' to start replicating."),
        30,
      ).problems[0]!.why,
    ).toBe('replication is not running');
    expect(
      parseReplStatus('Error: replica mode is not configured on this appliance (x is the primary).')
        .notAReplica,
    ).toBe(true);
  });
});

describe('promotion output', () => {
  it('recognises the documented success line and the known jq failure', () => {
    expect(PROMOTE_SUCCESS.test(fixture('promote-success.txt'))).toBe(true);
    const failed = `${fixture('promote-fails.stdout.txt')}\n${fixture('promote-fails.stderr.txt')}`;
    expect(PROMOTE_SUCCESS.test(failed)).toBe(false);
    expect(PROMOTE_JQ_BUG.test(failed)).toBe(true);
    expect(explainPromotionFailure(failed, 5, 'ghe-replica')).toContain('KNOWN GHES BUG');
    expect(explainPromotionFailure('boom', 1, 'ghe-replica')).not.toContain('KNOWN GHES BUG');
  });

  it('says which phase failed and what the output confirmed, not a fixed story', () => {
    const failed = `${fixture('promote-fails.stdout.txt')}\n${fixture('promote-fails.stderr.txt')}`;
    expect(promotionProgress(failed)).toEqual({
      phase: 'stopping replication',
      step: 2,
      replicationStopped: true,
      replicaModeRemoved: false,
      primaryUnreachable: true,
    });
    const jq = explainPromotionFailure(failed, 5, 'ghe-replica');
    expect(jq).toContain('failed while stopping replication (phase 2 of 4) with the KNOWN GHES BUG');
    expect(jq).toContain('which happens when the old primary is unreachable, as it was here');
    expect(jq).toContain('ghe-replica no longer replicates but is NOT a primary yet');
    expect(promotionProgress(fixture('promote-success.txt'))).toMatchObject({
      step: 4,
      replicationStopped: true,
      replicaModeRemoved: true,
      primaryUnreachable: false,
    });
    // Failed in the first phase with the primary answering: no claim that replication stopped.
    const early = explainPromotionFailure(
      'Enabling maintenance mode on the primary to prevent writes ...\nError: ghe-maintenance -s failed on the primary (exit 1)',
      1,
      'ghe-replica',
    );
    expect(early).toContain(
      'failed while enabling maintenance mode on the primary (phase 1 of 4) (exit code 1)',
    );
    expect(early).toContain('replication was NOT confirmed stopped');
    expect(early).toContain('the output does not say the old primary was unreachable');
    expect(early).not.toContain('STOPPED');
    expect(explainPromotionFailure('', 2, 'ghe-replica')).toContain('before it announced any phase');
  });
});

describe('restore after a stop before promotion (the decision, from the lock)', () => {
  const ran: string[] = [];
  const deps = {
    clock: realClock,
    log: createLogger({ level: 'error', write: () => undefined }),
    runner: {
      run: async (target: string, cmd: ApplianceCommand) => {
        ran.push(`${target}: ${renderShell(cmd)}`);
        return { status: 'Success' as const, exitCode: 0, stdout: '', stderr: '' };
      },
    } as unknown as CommandRunner,
  };
  const lock = {
    mode: 'planned' as const,
    restoreOnAbort: true,
    primary: 'ghe-primary',
    replica: 'ghe-replica',
  };

  it.each([
    ['no phase: stopped before fencing', { ...lock }, 'not-needed', []],
    ['fencing', { ...lock, phase: 'fencing' as const }, 'restored', ['ghe-primary: ghe-maintenance -u']],
    [
      'replica maintenance',
      { ...lock, phase: 'replica-maintenance' as const },
      'restored',
      ['ghe-primary: ghe-maintenance -u', 'ghe-replica: ghe-maintenance -u'],
    ],
    ['promotion may be running: never undone', { ...lock, phase: 'promoting' as const }, 'kept', []],
    ['stayInMaintenance', { ...lock, phase: 'fencing' as const, restoreOnAbort: false }, 'kept', []],
    ['unplanned', { ...lock, mode: 'unplanned' as const, phase: 'fencing' as const }, 'not-needed', []],
  ] as const)('%s', async (_label, facts, state, commands) => {
    ran.length = 0;
    const r = await restoreService(facts, deps);
    expect(r.state).toBe(state);
    expect(ran).toEqual(commands);
    if (state === 'restored') expect(r.note).toMatch(/service restored$/);
  });
});

describe('the lock phase', () => {
  it('is written only by the execution that holds the lock; otherwise nothing goes on', async () => {
    const config = defaultConfig(ROOT);
    const name = failoverParams(config).lock;
    const params = memoryParams(new Map([[name, JSON.stringify({ owner: 'arn:a', mode: 'planned' })]]));
    const { store } = params;
    await markLockPhase('arn:a', 'fencing', { config, params });
    expect(JSON.parse(store.get(name)!)).toEqual({ owner: 'arn:a', mode: 'planned', phase: 'fencing' });
    await expect(markLockPhase('arn:b', 'promoting', { config, params })).rejects.toMatchObject({
      name: 'FailoverInProgress',
      message: expect.stringContaining('held by arn:a'),
    });
    store.clear();
    await expect(markLockPhase('arn:a', 'promoting', { config, params })).rejects.toMatchObject({
      name: 'FailoverInProgress',
    });
  });
});

describe('verification after promotion', () => {
  it('takes a promoted node that is still in maintenance mode out of it, once, and then passes', async () => {
    const request = parseFailoverRequest(
      {
        mode: 'planned',
        traffic: { route53: { hostedZoneId: 'Z0123456789ABC', recordName: 'github.example.com' } },
        reason: 'maintenance',
      },
      defaultConfig(ROOT),
      EXEC,
    );
    let maintenance = true;
    const ran: string[] = [];
    const result = (exitCode: number, stdout = '', stderr = '') => ({
      status: exitCode === 0 ? ('Success' as const) : ('Failed' as const),
      exitCode,
      stdout,
      stderr,
    });
    const runner = {
      run: async (target: string, cmd: ApplianceCommand) => {
        const line = renderShell(cmd);
        ran.push(`${target}: ${line}`);
        if (line === 'ghe-repl-status')
          return result(
            1,
            '',
            'Error: replica mode is not configured on this appliance (ghe-replica is the primary).',
          );
        if (line === 'ghe-maintenance -q')
          return result(0, maintenance ? 'maintenance mode set\n' : 'maintenance mode not set\n');
        maintenance = false;
        return result(0);
      },
    } as unknown as CommandRunner;
    const http = {
      status: async () => ({ code: maintenance ? 503 : 200 }),
    } as unknown as ApplianceHttp;
    const deps = { clock: realClock, http, runner };
    const first = await verifyFailover({ request }, deps);
    expect(first).toMatchObject({
      state: 'pending',
      noLongerReplica: true,
      maintenanceUnset: 'ghe-maintenance -q said "maintenance mode set"; ghe-maintenance -u: exit 0',
    });
    const second = await verifyFailover({ request, verify: first }, deps);
    expect(second.state).toBe('done');
    expect(ran.filter((l) => l.endsWith('ghe-maintenance -u'))).toEqual(['ghe-replica: ghe-maintenance -u']);
  });
});

describe('failover input', () => {
  const config = defaultConfig(ROOT);
  const base = {
    mode: 'planned',
    traffic: { route53: { hostedZoneId: 'Z0123456789ABC', recordName: 'GitHub.Example.com' } },
    reason: 'maintenance',
  };

  it('defaults the appliances to the configured pair and fills the documented defaults', () => {
    const r = parseFailoverRequest(base, config, EXEC);
    expect(r).toMatchObject({
      primary: { target: 'ghe-primary', host: 'ghe-primary', address: 'ghe-primary' },
      replica: { target: 'ghe-replica', host: 'ghe-replica', address: 'ghe-replica' },
      traffic: { kind: 'route53', recordName: 'github.example.com', ttl: 60 },
      maxReplicationLagSeconds: 30,
      antiFlappingMinutes: 60,
      promotionTimeoutMinutes: 45,
      requireApproval: false,
      trigger: { source: 'manual' },
      execution: EXEC,
    });
  });

  it('forces approval for automatic triggers', () => {
    expect(
      parseFailoverRequest(
        { ...base, trigger: { source: 'alarm', alarmName: 'ghes-primary-health' }, requireApproval: false },
        config,
        EXEC,
      ).requireApproval,
    ).toBe(true);
  });

  it("keeps an alarm's state reason, folded to one line and cut to 1,000 characters", () => {
    const reason = `Threshold Crossed: 1 out of the last 1 datapoints [0.0 (21/11/26 01:00:00)]\nwas less than the threshold (1.0). ${'x'.repeat(1100)}`;
    const trigger = parseFailoverRequest(
      { ...base, trigger: { source: 'alarm', alarmName: 'ghes-primary-health', reason } },
      config,
      EXEC,
    ).trigger;
    expect(trigger.reason).toMatch(/^Threshold Crossed: .*\] was less than the threshold \(1\.0\)\. x+…$/);
    expect(trigger.reason).toHaveLength(1000);
    // An operator's own reason is still checked strictly.
    expect(() =>
      parseFailoverRequest({ ...base, trigger: { source: 'manual', reason: 'a\nb' } }, config, EXEC),
    ).toThrow(/trigger.reason/);
  });

  it('reports every problem at once', () => {
    expect(() => parseFailoverRequest({ mode: 'sideways', tikcet: 1, force: {} }, config, EXEC)).toThrow(
      /tikcet: unknown field.*mode: must be one of planned, unplanned.*traffic: is required.*reason: is required.*force.reason: is required/s,
    );
  });

  it('picks A for an IPv4 address and CNAME for a host name', () => {
    expect(recordType('10.0.0.12')).toBe('A');
    expect(recordType('ghe-replica.example.com')).toBe('CNAME');
  });
});
