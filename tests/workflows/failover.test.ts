import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  SANDBOX_INSTANCES,
  SANDBOX_LB_NAME,
  SANDBOX_PUBLIC_NAME,
  SANDBOX_STALE_TARGET,
  SANDBOX_TARGET_GROUP,
} from '../../local/sandbox/cloud/sandbox-cloud.js';
import type { LocalWorld } from '../../local/world.js';
import { causeMessage } from '../../shared/errors.js';
import { approvalLink, decideApproval } from '../../shared/failover/approval.js';
import { failoverParams } from '../../shared/failover/names.js';
import { failoverInput, lockValue, statesEntered, until } from '../helpers/failover.js';
import { gitChannel } from '../../local/sandbox/replication-channels.js';
import { handler as executionEnded } from '../../functions/failover/execution-ended.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';

const P = 'ghe-primary';
const R = 'ghe-replica';

/** Commands each appliance received, as shell lines. */
const lines = (world: LocalWorld, target: string): string[] =>
  world.sandbox!.appliance(target).commandLog.map((e) => e.line);

async function expectLockReleased(world: LocalWorld): Promise<void> {
  await world.failoverSettled();
  expect(await lockValue(world)).toBeUndefined();
}

async function waitingApproval(world: LocalWorld, executionArn: string): Promise<void> {
  await until(
    () =>
      world.engine.listPendingTasks(executionArn).length === 1 &&
      world.outbox!.sent.some((m) => m.subject.includes('APPROVAL NEEDED')),
  );
}

/** Nothing that changes an appliance was run. */
const untouched = (world: LocalWorld): void => {
  for (const t of [P, R])
    expect(lines(world, t).filter((l) => !/^(ghe-repl-status|ghe-version$|cat )/.test(l))).toEqual([]);
};

describe('failover workflow (real ASL, local engine, sandbox appliances and cloud)', () => {
  beforeEach(() => {
    process.env.GHES_OPS_APPROVAL_URL = 'http://127.0.0.1:8787';
  });
  afterEach(() => {
    delete process.env.GHES_OPS_APPROVAL_URL;
  });

  it('healthy planned: fences and drains the primary, promotes, switches DNS after INSYNC + TTL, verifies, notifies with a timeline', async () => {
    const world = testWorld();
    const { result, history } = await runWorkflow(
      world,
      'failover',
      failoverInput({ teardownOldPrimary: true }),
    );
    expect(result.status).toBe('SUCCEEDED');
    const sbx = world.sandbox!;
    expect(sbx.appliance(R).role).toBe('primary');
    expect(sbx.appliance(P).maintenance.enabled).toBe(true);
    expect(sbx.splitBrain()).toBe(false);
    expect(world.cloud!.record()).toEqual({ type: 'CNAME', value: R });
    // Order: maintenance on the primary, then (after the drain) on the replica, then promote.
    expect(lines(world, P)).toContain('ghe-maintenance -s');
    const replica = lines(world, R);
    // The promotion runs detached (its output in a file polled by CheckPromotion), started once.
    const promoteAt = replica.findIndex((l) => l.startsWith("nohup setsid sh -c 'ghe-repl-promote -y;"));
    expect(promoteAt).toBeGreaterThan(replica.indexOf('ghe-maintenance -s'));
    expect(replica.filter((l) => l.includes('ghe-repl-promote')).length).toBe(1);
    const outputFile = /> (\/tmp\/ghes-ops-repl-promote-[\w-]+\.log) 2>&1/.exec(replica[promoteAt]!)?.[1];
    expect(outputFile).toBeDefined();
    expect(replica.filter((l) => l === `tail -n 200 ${outputFile}`).length).toBeGreaterThan(1);
    const uuid = sbx.appliance(P).uuid;
    // 3.17 (read with ghe-version in preflight): ghe-repl-teardown, without trying ghe-repl-decommission.
    expect(replica).toContain(`ghe-repl-teardown -u ${uuid}`);
    expect(replica.some((l) => l.startsWith('ghe-repl-decommission'))).toBe(false);
    expect((result.output as { preflight: { replicaVersion: unknown } }).preflight.replicaVersion).toEqual({
      version: '3.17.2',
      seen: 'GitHub Enterprise Server 3.17.2',
    });
    expect(sbx.appliance(R).clusterNodes.map((n) => n.uuid)).not.toContain(uuid);
    const states = statesEntered(history);
    expect(states.filter((s) => s === 'CheckPromotion').length).toBeGreaterThan(1);
    expect(states.indexOf('SwitchTraffic')).toBeGreaterThan(states.lastIndexOf('CheckPromotion'));
    const output = result.output as { outcome: { kind: string; timeline: { step: string }[] } };
    expect(output.outcome.kind).toBe('failed-over');
    expect(output.outcome.timeline.map((t) => t.step)).toEqual(
      expect.arrayContaining([
        'lock',
        'preflight',
        'fence',
        'drain',
        'promotion',
        'traffic switched',
        'traffic settled',
        'verify',
        'teardown',
      ]),
    );
    const mail = world.outbox!.sent.at(-1)!;
    expect(mail.subject).toMatch(/^\[ghes-ops\] Failover done: ghe-replica is the primary/);
    expect(mail.text).toContain(
      'Success: Replica has been promoted to primary and is now accepting requests.',
    );
    expect(mail.text).toContain('INSYNC at');
    await expectLockReleased(world);
    const last = JSON.parse((await world.deps.params.get(failoverParams(world.config).last))!) as {
      from: string;
      to: string;
      outcome: string;
    };
    expect(last).toMatchObject({ from: P, to: R, outcome: 'failed over' });
  });

  it('GHES 3.18: the old primary is removed with ghe-repl-decommission, by the version read in preflight', async () => {
    const world = testWorld({ sandbox: { version: '3.18.1' } });
    const { result } = await runWorkflow(world, 'failover', failoverInput({ teardownOldPrimary: true }));
    expect(result.status).toBe('SUCCEEDED');
    const uuid = world.sandbox!.appliance(P).uuid;
    expect(lines(world, R)).toContain(`ghe-repl-decommission ${uuid}`);
    expect(lines(world, R).some((l) => l.startsWith('ghe-repl-teardown'))).toBe(false);
    expect((result.output as { teardown: { state: string } }).teardown.state).toBe('done');
  });

  it('replica lagging: refused with ReplicationNotHealthy naming each channel, nothing changed; force goes on', async () => {
    const world = testWorld({ scenario: 'replica-lagging' });
    const { result } = await runWorkflow(world, 'failover', failoverInput({ maxReplicationLagSeconds: 10 }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReplicationNotHealthy');
    const cause = causeMessage(result.cause);
    expect(cause).toContain(
      'CRITICAL: git replication is behind the primary by 150 repositories and/or gists',
    );
    expect(cause).toContain('WARNING: mysql replication delay is 29s');
    expect(cause).toMatch(/repositories\s+366\s+246/);
    expect(lines(world, P)).toEqual([]);
    expect(lines(world, R)).toEqual(['ghe-repl-status -vv']);
    expect(world.outbox!.sent[0]!.subject).toContain('not done (ReplicationNotHealthy): nothing changed');
    expect(world.outbox!.sent[0]!.text).toContain('Failed step: Preflight');
    await expectLockReleased(world);

    const forced = testWorld({ scenario: 'replica-lagging' });
    const run = await runWorkflow(
      forced,
      'failover',
      failoverInput({ force: { reason: 'primary disk failing, accept losing 150 pushes' } }),
    );
    expect(run.result.status).toBe('SUCCEEDED');
    expect(forced.sandbox!.appliance(R).role).toBe('primary');
    expect(forced.outbox!.sent.at(-1)!.text).toContain('FORCED: primary disk failing');
    await expectLockReleased(forced);
  });

  it('primary down (unplanned): two observers confirm, fences what it can, records what it could not, fails over', async () => {
    const world = testWorld({ scenario: 'primary-down' });
    const { result } = await runWorkflow(world, 'failover', failoverInput({ mode: 'unplanned' }));
    expect(result.status).toBe('SUCCEEDED');
    const out = result.output as {
      observers: { confirmedDown: boolean; http: { probe: unknown }; runner: { reached: boolean } };
      fence: { notFenced: string[] };
    };
    expect(out.observers).toMatchObject({
      confirmedDown: true,
      http: { probe: { unreachable: 'ETIMEDOUT' } },
      runner: { reached: false },
    });
    expect(out.fence.notFenced.join(' ')).toContain('maintenance mode on ghe-primary');
    expect(world.sandbox!.appliance(R).role).toBe('primary');
    expect(world.outbox!.sent.at(-1)!.text).toContain('NOT fenced');
    await expectLockReleased(world);
  });

  it('planned with the primary down: refused in preflight (PrimaryUnreachable), suggesting "mode": "unplanned", nothing changed', async () => {
    const world = testWorld({ scenario: 'primary-down' });
    const { result, history } = await runWorkflow(world, 'failover', failoverInput());
    expect(result.error).toBe('PrimaryUnreachable');
    const cause = causeMessage(result.cause);
    expect(cause).toContain('Planned failover refused: the primary ghe-primary does not answer');
    expect(cause).toContain('"mode": "unplanned"');
    expect(statesEntered(history)).not.toContain('FencePrimary');
    expect(lines(world, R)).toEqual(['ghe-repl-status -vv', 'ghe-version']);
    expect(world.outbox!.sent.at(-1)!.subject).toContain('not done (PrimaryUnreachable): nothing changed');
    await expectLockReleased(world);
  });

  it('unplanned but the primary answers: PrimaryNotConfirmedDown, nothing changed', async () => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'failover', failoverInput({ mode: 'unplanned' }));
    expect(result.error).toBe('PrimaryNotConfirmedDown');
    expect(causeMessage(result.cause)).toContain('HTTP 200');
    expect(world.sandbox!.appliance(P).maintenance.enabled).toBe(false);
    await expectLockReleased(world);
  });

  it('unplanned through a load balancer, stopping the old primary instance', async () => {
    const world = testWorld({ scenario: 'primary-down' });
    const primary = { target: P, host: P, instanceId: SANDBOX_INSTANCES[P]!.instanceId };
    const replica = { target: R, instanceId: SANDBOX_INSTANCES[R]!.instanceId };
    const { result } = await runWorkflow(
      world,
      'failover',
      failoverInput({
        mode: 'unplanned',
        primary,
        replica,
        stopOldPrimary: true,
        traffic: { loadBalancer: { targetGroupArn: SANDBOX_TARGET_GROUP, publicName: SANDBOX_LB_NAME } },
      }),
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(world.cloud!.registered()).toEqual([replica.instanceId]);
    expect(world.cloud!.stopped).toEqual([primary.instanceId]);
    await expectLockReleased(world);
  });

  it('promote fails (known jq bug): PromotionFailed explained, traffic NOT switched, alert sent', async () => {
    const world = testWorld({ scenario: 'promote-fails' });
    const { result, history } = await runWorkflow(world, 'failover', failoverInput({ mode: 'unplanned' }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailed');
    expect(causeMessage(result.cause)).toContain(
      'failed while stopping replication (phase 2 of 4) with the KNOWN GHES BUG',
    );
    expect(causeMessage(result.cause)).toContain('Cannot index string with string "node"');
    expect(statesEntered(history)).not.toContain('SwitchTraffic');
    expect(world.cloud!.dnsChanges).toHaveLength(1); // only the initial record
    const mail = world.outbox!.sent.at(-1)!;
    expect(mail.subject).toContain('FAILED at CheckPromotion (PromotionFailed)');
    expect(mail.text).toContain('GHES IS PROBABLY UNAVAILABLE TO USERS');
    await expectLockReleased(world);
  });

  it('the SSH sessions to the replica drop mid-promotion: the detached promotion carries on, polling resumes, failed over (promote-session-drops)', async () => {
    const world = testWorld({ scenario: 'promote-session-drops' });
    const { result, history } = await runWorkflow(world, 'failover', failoverInput());
    expect(result.status).toBe('SUCCEEDED');
    expect(world.sandbox!.appliance(R).role).toBe('primary');
    expect(world.cloud!.record()).toEqual({ type: 'CNAME', value: R });
    // At least one poll hit the dropped connection and the ASL's Retry polled again.
    const retried = history.filter(
      (e) =>
        e.type === 'StateRetried' &&
        e.stateName === 'CheckPromotion' &&
        (e as { error?: string }).error === 'ApplianceUnreachable',
    );
    expect(retried.length).toBeGreaterThan(0);
    expect(lines(world, R).filter((l) => l.includes('ghe-repl-promote'))).toHaveLength(1);
    await expectLockReleased(world);
  });

  it('DNS change fails after promotion: the loud PromotedButTrafficNotSwitched outcome', async () => {
    const world = testWorld({ scenario: 'dns-fails' });
    const { result } = await runWorkflow(world, 'failover', failoverInput());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotedButTrafficNotSwitched');
    expect(causeMessage(result.cause)).toContain('PriorRequestNotComplete');
    expect(world.sandbox!.appliance(R).role).toBe('primary');
    expect(world.cloud!.record()).toEqual({ type: 'CNAME', value: P });
    const mail = world.outbox!.sent.at(-1)!;
    expect(mail.subject).toBe(
      '[ghes-ops] URGENT: ghe-replica PROMOTED BUT TRAFFIC NOT SWITCHED (PromotedButTrafficNotSwitched)',
    );
    expect(mail.text).toContain('ACTION NEEDED NOW');
    expect(mail.text).toContain('Switch it by hand NOW');
    await expectLockReleased(world);
  });

  it('load balancer refuses the new target after promotion: PromotedButTrafficNotSwitched, old target kept', async () => {
    const world = testWorld({ scenario: 'lb-fails' });
    const { result, history } = await runWorkflow(
      world,
      'failover',
      failoverInput({
        primary: { target: P, host: P, instanceId: SANDBOX_INSTANCES[P]!.instanceId },
        replica: { target: R, instanceId: SANDBOX_INSTANCES[R]!.instanceId },
        traffic: { loadBalancer: { targetGroupArn: SANDBOX_TARGET_GROUP, publicName: SANDBOX_LB_NAME } },
      }),
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotedButTrafficNotSwitched');
    expect(causeMessage(result.cause)).toContain('AccessDenied');
    expect(world.sandbox!.appliance(R).role).toBe('primary');
    // Nothing was deregistered: the target group still points at the old primary.
    expect(world.cloud!.registered()).toEqual([SANDBOX_INSTANCES[P]!.instanceId]);
    expect(statesEntered(history)).not.toContain('Verify');
    const mail = world.outbox!.sent.at(-1)!;
    expect(mail.subject).toBe(
      '[ghes-ops] URGENT: ghe-replica PROMOTED BUT TRAFFIC NOT SWITCHED (PromotedButTrafficNotSwitched)',
    );
    expect(mail.text).toContain('elasticloadbalancing:RegisterTargets');
    await expectLockReleased(world);
  });

  it('approval rejected: the execution ends without touching anything', async () => {
    const world = testWorld();
    const { executionArn } = await world.engine.startExecution(
      'failover',
      failoverInput({ requireApproval: true }),
      'reject-me',
    );
    await waitingApproval(world, executionArn);
    const ask = world.outbox!.sent[0]!;
    expect(ask.subject).toContain('APPROVAL NEEDED');
    expect(ask.text).toContain('ghes-ops approve reject-me');
    expect(ask.text).not.toContain(world.engine.listPendingTasks(executionArn)[0]!.token);
    await decideApproval(
      { executionName: 'reject-me', decision: 'reject', by: 'alice', reason: 'not tonight', via: 'cli' },
      world.deps,
      { trusted: true },
    );
    const result = await world.engine.waitForExecution(executionArn);
    expect(result.error).toBe('FailoverRejected');
    expect(causeMessage(result.cause)).toContain('Rejected by alice (cli): not tonight');
    untouched(world);
    await expectLockReleased(world);
  });

  it('approval link: GET changes nothing, a wrong code is refused, the right code approves once', async () => {
    const world = testWorld();
    const { executionArn } = await world.engine.startExecution(
      'failover',
      failoverInput({ requireApproval: true }),
      'approve-me',
    );
    await waitingApproval(world, executionArn);
    const link = /(http:\/\/127\.0\.0\.1:8787\S+)/.exec(world.outbox!.sent[0]!.text)![1]!;
    const url = new URL(link);
    const code = url.searchParams.get('code')!;
    const get = await approvalLink('GET', 'approve-me', url.searchParams, '', world.deps);
    expect(get.status).toBe(200);
    expect(world.engine.listPendingTasks(executionArn)).toHaveLength(1);
    const wrong = await approvalLink(
      'POST',
      'approve-me',
      new URLSearchParams(),
      'decision=approve&code=guess',
      world.deps,
    );
    expect(wrong.status).toBe(404);
    const ok = await approvalLink(
      'POST',
      'approve-me',
      new URLSearchParams(),
      `decision=approve&code=${code}&name=bob`,
      world.deps,
    );
    expect(ok.status).toBe(200);
    const again = await approvalLink(
      'POST',
      'approve-me',
      new URLSearchParams(),
      `decision=approve&code=${code}`,
      world.deps,
    );
    expect(again.status).toBe(404);
    const result = await world.engine.waitForExecution(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { approval: { by: string; via: string } }).approval).toMatchObject({
      by: 'bob',
      via: 'link',
    });
    await expectLockReleased(world);
  });

  it('approval timeout: ApprovalTimedOut, nothing changed, lock and approval released', async () => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'failover', failoverInput({ requireApproval: true }));
    expect(result.error).toBe('ApprovalTimedOut');
    untouched(world);
    expect(
      await world.deps.params.get(failoverParams(world.config).approval((result as { name: string }).name)),
    ).toBeUndefined();
    await expectLockReleased(world);
  });

  it('an alarm trigger always waits for approval', async () => {
    const world = testWorld({ scenario: 'primary-down' });
    const { executionArn } = await world.engine.startExecution(
      'failover',
      failoverInput({ mode: 'unplanned', trigger: { source: 'alarm', alarmName: 'ghes-primary-health' } }),
      'alarm-1',
    );
    await waitingApproval(world, executionArn);
    expect(world.outbox!.sent[0]!.text).toContain('alarm ghes-primary-health');
    await world.engine.stopExecution(executionArn);
    await expectLockReleased(world);
  });

  it("concurrent execution: the second fails at once with FailoverInProgress and leaves the first one's lock", async () => {
    const world = testWorld();
    const first = await world.engine.startExecution(
      'failover',
      failoverInput({ requireApproval: true }),
      'first',
    );
    await waitingApproval(world, first.executionArn);
    const { result } = await runWorkflow(world, 'failover', failoverInput(), 'second');
    expect(result.error).toBe('FailoverInProgress');
    expect(causeMessage(result.cause)).toContain(first.executionArn);
    expect((JSON.parse((await lockValue(world))!) as { owner: string }).owner).toBe(first.executionArn);
    await decideApproval({ executionName: 'first', decision: 'reject', by: 'test', via: 'cli' }, world.deps, {
      trusted: true,
    });
    await world.engine.waitForExecution(first.executionArn);
    await expectLockReleased(world);
  });

  it('abort: the execution-ended handler releases the lock and says what state was left', async () => {
    const world = testWorld();
    const { executionArn } = await world.engine.startExecution(
      'failover',
      failoverInput({ requireApproval: true }),
      'aborted',
    );
    await waitingApproval(world, executionArn);
    expect(await lockValue(world)).toBeDefined();
    await world.engine.stopExecution(executionArn, 'Stopped', 'operator');
    await expectLockReleased(world);
    const mail = world.outbox!.sent.at(-1)!;
    expect(mail.subject).toContain('ABORTED: nothing changed; lock released');
    expect(mail.text).toContain('promotion had not started');
  });

  it('a stale lock (owner no longer running) is taken over', async () => {
    const world = testWorld();
    const owner = 'arn:aws:states:local:000000000000:execution:failover:crashed-long-ago';
    await world.deps.params.put(
      failoverParams(world.config).lock,
      JSON.stringify({
        owner,
        acquiredAt: '2026-01-01T00:00:00Z',
        expiresAt: '2099-01-01T00:00:00Z',
        mode: 'planned',
        primary: P,
        replica: R,
        notify: [],
      }),
      { secure: false, overwrite: false },
    );
    const { result } = await runWorkflow(world, 'failover', failoverInput());
    expect(result.status).toBe('SUCCEEDED');
    expect(
      (result.output as { lock: { takenOverFrom: { owner: string; why: string } } }).lock.takenOverFrom,
    ).toEqual({ owner, why: 'its owner execution is NOT_FOUND' });
    await expectLockReleased(world);
  });

  it('recent failover: refused inside the anti-flapping window unless acknowledged', async () => {
    const world = testWorld();
    expect((await runWorkflow(world, 'failover', failoverInput())).result.status).toBe('SUCCEEDED');
    const back = failoverInput({ primary: R, replica: P });
    const { result } = await runWorkflow(world, 'failover', back);
    expect(result.error).toBe('RecentFailover');
    expect(causeMessage(result.cause)).toContain('acknowledgeRecentFailover');
    await expectLockReleased(world);
    const acked = await runWorkflow(world, 'failover', { ...back, acknowledgeRecentFailover: true });
    // Past the window check; the old primary is no replica, so preflight refuses.
    expect(statesEntered(acked.history)).toContain('Preflight');
    expect(acked.result.error).toBe('ReplicationNotHealthy');
    await expectLockReleased(world);
  });

  it('hooks: a pre-hook runs on the old primary before fencing; a failing one aborts with nothing changed', async () => {
    const world = testWorld();
    const hooks = {
      pre: [{ on: 'old-primary', argv: ['ghe-announce', '-s', 'Failover to the replica now'] }],
      post: [{ on: 'new-primary', argv: ['ghe-announce', '-u'] }],
    };
    const { result } = await runWorkflow(world, 'failover', failoverInput({ hooks }));
    expect(result.status).toBe('SUCCEEDED');
    const primary = lines(world, P);
    expect(primary.indexOf("ghe-announce -s 'Failover to the replica now'")).toBeLessThan(
      primary.indexOf('ghe-maintenance -s'),
    );
    expect(lines(world, R)).toContain('ghe-announce -u');

    const down = testWorld({ scenario: 'primary-down' });
    const failed = await runWorkflow(
      down,
      'failover',
      failoverInput({ mode: 'unplanned', hooks: { pre: hooks.pre } }),
    );
    expect(failed.result.error).toBe('HookFailed');
    expect(lines(down, R).some((l) => l.includes('ghe-repl-promote'))).toBe(false);
    await expectLockReleased(down);
  });

  describe('every way out before promotion leaves service running', () => {
    const RESTORED = /nothing changed, service restored at \d\d:\d\d UTC/;

    /** Starts a planned failover and waits until the primary is in maintenance mode (fenced, draining). */
    async function fenced(world: LocalWorld, extra: Record<string, unknown> = {}, name = 'fenced') {
      const { executionArn } = await world.engine.startExecution('failover', failoverInput(extra), name);
      await until(() => world.sandbox!.appliance(P).maintenance.enabled);
      return executionArn;
    }

    /** Git replication falls behind once the primary is fenced: the gate after the drain cannot pass. */
    const gitFallsBehind = (world: LocalWorld): void =>
      world.sandbox!.setChannel(R, gitChannel({ pendingRepos: 120, pendingGists: 30, delaySeconds: 412.7 }));

    it('a WARNING within the lag limit passes preflight and the post-drain gate alike, and is said so', async () => {
      const world = testWorld({ scenario: 'replica-warning' });
      const { result } = await runWorkflow(world, 'failover', failoverInput());
      expect(result.status).toBe('SUCCEEDED');
      const out = result.output as {
        preflight: { accepted: string };
        drain: { replication: { accepted: string }; waitingFor: string };
      };
      const said = 'mysql: WARNING accepted: lag 29s is within the limit of 30s (maxReplicationLagSeconds)';
      expect(out.preflight.accepted).toContain(said);
      expect(out.drain.replication.accepted).toContain(said);
      expect(out.drain.waitingFor).toContain('nothing: drained and replication passes');
      expect(world.outbox!.sent.at(-1)!.text).toContain(said);
    });

    it('post-drain gate fails: FenceFailed, the primary out of maintenance mode again, lock released, "service restored" mail', async () => {
      const world = testWorld();
      const arn = await fenced(world);
      gitFallsBehind(world);
      const result = await world.engine.waitForExecution(arn);
      expect(result.error).toBe('FenceFailed');
      expect(world.sandbox!.appliance(P).maintenance.enabled).toBe(false);
      expect(world.sandbox!.appliance(R).role).toBe('replica');
      expect(lines(world, P)).toEqual([
        'cat /data/user/common/uuid',
        'ghe-maintenance -s',
        'ghe-maintenance -u',
      ]);
      expect(lines(world, R).some((l) => l.includes('ghe-repl-promote'))).toBe(false);
      // Every poll said what it waited for; the last one names the channel and its line.
      const drains = world.engine
        .getExecutionHistory(arn)
        .filter((e) => e.type === 'TaskSucceeded' || e.type === 'LambdaFunctionSucceeded')
        .map((e) => JSON.stringify(e))
        .filter((e) => e.includes('waitingFor'));
      expect(drains.length).toBeGreaterThan(0);
      expect(causeMessage(result.cause)).toContain('git: CRITICAL');
      const mail = world.outbox!.sent.at(-1)!;
      expect(mail.subject).toMatch(RESTORED);
      expect(mail.text).toContain('out of maintenance mode again since');
      expect(mail.text).toContain('ghe-maintenance -u on ghe-primary');
      await expectLockReleased(world);
    });

    it('"stayInMaintenance": true leaves the primary in maintenance mode and says so', async () => {
      const world = testWorld();
      const arn = await fenced(world, { stayInMaintenance: true });
      gitFallsBehind(world);
      const result = await world.engine.waitForExecution(arn);
      expect(result.error).toBe('FenceFailed');
      expect(world.sandbox!.appliance(P).maintenance.enabled).toBe(true);
      expect(world.outbox!.sent.at(-1)!.subject).toContain(
        'nothing promoted, ghe-primary left in maintenance mode as requested',
      );
      await expectLockReleased(world);
    });

    it('StopExecution while draining: the execution-ended handler takes maintenance mode off, releases the lock and mails it', async () => {
      const world = testWorld();
      const arn = await fenced(world);
      await world.engine.stopExecution(arn, 'Stopped', 'operator');
      await expectLockReleased(world);
      expect(world.sandbox!.appliance(P).maintenance.enabled).toBe(false);
      expect(world.sandbox!.appliance(R).role).toBe('replica');
      const mail = world.outbox!.sent.at(-1)!;
      expect(mail.subject).toMatch(
        /ABORTED: nothing changed, service restored at \d\d:\d\d UTC; lock released/,
      );
      expect(mail.text).toContain('ghe-maintenance -u on ghe-primary: ok');
    });

    it('execution timeout while fenced: the same handler (TIMED_OUT) restores service', async () => {
      const world = testWorld();
      const arn = await fenced(world, {}, 'timed-out');
      // What Step Functions does at TimeoutSeconds: the execution stops, the rule gets TIMED_OUT.
      // Here the engine's execution is stopped first, and the handler is invoked as the rule would.
      const lock = JSON.parse((await lockValue(world))!) as { phase: string };
      expect(lock.phase).toBe('fencing');
      const out = await executionEnded(
        {
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          detail: { executionArn: arn, status: 'TIMED_OUT' },
        },
        {} as never,
      );
      expect(out).toMatchObject({ released: true, restore: { state: 'restored' } });
      expect(world.sandbox!.appliance(P).maintenance.enabled).toBe(false);
      expect(world.outbox!.sent.at(-1)!.subject).toMatch(/TIMED_OUT: nothing changed, service restored at/);
      await world.engine.stopExecution(arn);
      await expectLockReleased(world);
    });

    it('approval timed out: nothing was fenced, so nothing to restore, and the mail says nothing changed', async () => {
      const world = testWorld();
      const { result } = await runWorkflow(world, 'failover', failoverInput({ requireApproval: true }));
      expect(result.error).toBe('ApprovalTimedOut');
      expect(world.sandbox!.appliance(P).maintenance.enabled).toBe(false);
      expect(world.outbox!.sent.at(-1)!.subject).toContain('not done (ApprovalTimedOut): nothing changed');
      await expectLockReleased(world);
    });
  });

  describe('prove before you act: the traffic target is read before anything changes', () => {
    /** Refused in Preflight: no appliance command but reads, no DNS change, lock released, mail sent. */
    async function expectRefusedInPreflight(world: LocalWorld, input: Record<string, unknown>) {
      const run = await runWorkflow(world, 'failover', input);
      expect(run.result.status).toBe('FAILED');
      const states = statesEntered(run.history);
      expect(states).not.toContain('FencePrimary');
      expect(states).not.toContain('StartPromotion');
      if (world.sandbox) {
        untouched(world);
        expect(world.sandbox.appliance(R).role).toBe('replica');
        expect(world.cloud!.dnsChanges).toHaveLength(1);
      }
      const mail = world.outbox!.sent.at(-1)!;
      expect(mail.subject).toContain('nothing changed');
      expect(mail.text).toContain('Failed step: Preflight');
      await expectLockReleased(world);
      return { ...run, cause: causeMessage(run.result.cause), mail };
    }

    it('a hosted zone id typo (Z0SANDBOX0000000000O) is refused in preflight, naming the field to fix', async () => {
      const world = testWorld();
      const { result, cause } = await expectRefusedInPreflight(
        world,
        failoverInput({
          traffic: {
            route53: { hostedZoneId: 'Z0SANDBOX0000000000O', recordName: SANDBOX_PUBLIC_NAME, ttl: 60 },
          },
        }),
      );
      expect(result.error).toBe('TrafficCheckFailed');
      expect(cause).toContain('NoSuchHostedZone: No hosted zone found with ID: Z0SANDBOX0000000000O');
      expect(cause).toContain('check traffic.route53.hostedZoneId (Z0SANDBOX0000000000O)');
      expect(cause).toContain('Nothing was changed.');
      // Not even ghe-repl-status: the zone is read first.
      expect(world.sandbox!.commandLog).toHaveLength(0);
    });

    it('a record that does not point at the primary (scenario dns-stale-record) is refused', async () => {
      const world = testWorld({ scenario: 'dns-stale-record' });
      const { result, cause } = await expectRefusedInPreflight(world, failoverInput());
      expect(result.error).toBe('TrafficCheckFailed');
      expect(cause).toContain(`points at ${SANDBOX_STALE_TARGET}, not at the primary's address ghe-primary`);
      expect(cause).toContain('Fix primary.address');
    });

    it('a record name that is not in the zone, and a record type the replica address cannot replace, are refused', async () => {
      const missing = await expectRefusedInPreflight(
        testWorld(),
        failoverInput({
          traffic: { route53: { hostedZoneId: 'Z0SANDBOX00000000000', recordName: 'gthub.sandbox.test' } },
        }),
      );
      expect(missing.cause).toContain('has no A or CNAME record gthub.sandbox.test');
      const wrongType = await expectRefusedInPreflight(
        testWorld(),
        failoverInput({ replica: { target: R, address: SANDBOX_INSTANCES[R]!.ip } }),
      );
      expect(wrongType.cause).toContain(
        `is a CNAME record, but replica.address ${SANDBOX_INSTANCES[R]!.ip} needs a A record`,
      );
    });

    it('a target group that does not hold the primary is refused', async () => {
      const { result, cause } = await expectRefusedInPreflight(
        testWorld(),
        failoverInput({
          primary: { target: P, instanceId: SANDBOX_INSTANCES[R]!.instanceId },
          replica: { target: R, instanceId: SANDBOX_INSTANCES[P]!.instanceId },
          traffic: { loadBalancer: { targetGroupArn: SANDBOX_TARGET_GROUP, publicName: SANDBOX_LB_NAME } },
        }),
      );
      expect(result.error).toBe('TrafficCheckFailed');
      expect(cause).toContain(`does not hold the primary ${SANDBOX_INSTANCES[R]!.instanceId} on port 443`);
    });

    it('with real appliances over SSH and no traffic adapter, refuses in preflight before any SSH command', async () => {
      const world = testWorld({
        config: (c) => {
          c.appliance = {
            runner: 'ssh',
            primary: 'ghes-1.example.com',
            replica: 'ghes-2.example.com',
            ssh: { user: 'admin', port: 122 },
          };
        },
      });
      const { result, cause } = await expectRefusedInPreflight(
        world,
        failoverInput({ primary: 'ghes-1.example.com', replica: 'ghes-2.example.com' }),
      );
      expect(result.error).toBe('TrafficCheckFailed');
      expect(cause).toContain('Route 53 is not available locally with a real appliance');
      expect(cause).toContain('run the failover in AWS');
    });
  });

  it.each([
    ['a command after the primary', { primary: 'ghe-primary; reboot' }, 'primary'],
    ['a command substitution as replica target', { replica: { target: '$(id)' } }, 'replica.target'],
    ['a newline in the reason', { reason: 'ok\nBcc: attacker@example.com' }, 'reason'],
    [
      'a shell line as host',
      { mode: 'unplanned', primary: { target: 'ghe-primary', host: 'ghe-primary`id`' } },
      'primary.host',
    ],
    ['an appliance that is not configured', { replica: 'evil.example.com' }, 'replica'],
    [
      'a hook that is not allow-listed',
      { hooks: { pre: [{ on: 'old-primary', argv: ['ghe-repl-promote', '-y'] }] } },
      'hooks.pre[0].argv',
    ],
    [
      'a hook argument with a newline',
      { hooks: { pre: [{ on: 'old-primary', argv: ['ghe-announce', '-s', 'x\nreboot'] }] } },
      'hooks.pre[0].argv',
    ],
    [
      'a record name with a space',
      { traffic: { route53: { hostedZoneId: 'Z0SANDBOX00000000000', recordName: 'a b', ttl: 60 } } },
      'traffic.route53.recordName',
    ],
  ])('refuses %s before any lock, command or email', async (_label, extra, field) => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'failover', failoverInput(extra));
    expect(result.error).toBe('InputValidationError');
    expect(causeMessage(result.cause)).toContain(`${field}:`);
    expect(world.sandbox!.commandLog).toHaveLength(0);
    expect(world.outbox!.sent).toHaveLength(0);
    expect(await lockValue(world)).toBeUndefined();
    // The FAILED status still goes to the execution-ended rule: let its handler finish in the test.
    await world.failoverSettled();
    expect(world.outbox!.sent).toHaveLength(0);
  });
});
