import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SANDBOX_PUBLIC_NAME, SANDBOX_ZONE_ID } from '../../local/sandbox/cloud/sandbox-cloud.js';
import type { LocalWorld } from '../../local/world.js';
import { approvalLinkPage, decide } from '../../shared/approval/gate.js';
import { causeMessage } from '../../shared/errors.js';
import { failoverInput, lockValue, statesEntered, until } from '../helpers/failover.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';

const P = 'ghe-primary';
const R = 'ghe-replica';
const manual = (hostname = SANDBOX_PUBLIC_NAME, extra: Record<string, unknown> = {}) =>
  failoverInput({ traffic: { manual: { hostname } }, ...extra });

/** The operator's own change, outside ghes-ops: the sandbox's public name now points at the replica. */
const switchByHand = (world: LocalWorld) =>
  world.cloud!.dns.upsert({
    hostedZoneId: SANDBOX_ZONE_ID,
    name: SANDBOX_PUBLIC_NAME,
    type: 'CNAME',
    value: R,
    ttl: 60,
    comment: 'changed by hand',
  });

async function askedToSwitch(world: LocalWorld, executionArn: string) {
  await until(
    () =>
      world.engine.listPendingTasks(executionArn).length === 1 &&
      world.outbox!.sent.some((m) => m.subject.startsWith('[ghes-ops] ACTION NEEDED: switch')),
    10_000,
  );
  return world.outbox!.sent.find((m) => m.subject.startsWith('[ghes-ops] ACTION NEEDED: switch'))!;
}

const lines = (world: LocalWorld, target: string): string[] =>
  world.sandbox!.appliance(target).commandLog.map((e) => e.line);

describe('failover with manual traffic (DNS or load balancer outside AWS)', () => {
  beforeEach(() => {
    process.env.GHES_OPS_APPROVAL_URL = 'http://127.0.0.1:8787';
  });
  afterEach(() => {
    delete process.env.GHES_OPS_APPROVAL_URL;
  });

  it('after the promotion asks for the exact record, waits, then polls https://<hostname>/status until the new primary answers', async () => {
    const world = testWorld();
    const { executionArn } = await world.engine.startExecution('failover', manual(), 'manual-ok');
    const ask = await askedToSwitch(world, executionArn);
    // Asked only once the promotion is confirmed.
    expect(world.sandbox!.appliance(R).role).toBe('primary');
    expect(ask.subject).toBe(
      `[ghes-ops] ACTION NEEDED: switch ${SANDBOX_PUBLIC_NAME} to ${R} (${R} promoted)`,
    );
    expect(ask.text).toContain(`name:    ${SANDBOX_PUBLIC_NAME}`);
    expect(ask.text).toContain(`record:  CNAME ${R}`);
    expect(ask.text).toContain('ghes-ops confirm-traffic manual-ok');
    expect(ask.text).not.toContain(world.engine.listPendingTasks(executionArn)[0]!.token);
    // An approval command does not confirm traffic.
    await expect(
      decide(
        {
          workflow: 'failover',
          executionName: 'manual-ok',
          decision: 'approve',
          by: 'x',
          via: 'cli',
          expect: 'approval',
        },
        world.deps,
        { trusted: true },
      ),
    ).rejects.toThrow(/use `ghes-ops confirm-traffic manual-ok`/);
    const link = new URL(/(http:\/\/127\.0\.0\.1:8787\S+)/.exec(ask.text)![1]!);
    const page = await approvalLinkPage('GET', 'failover', 'manual-ok', link.searchParams, '', world.deps);
    expect(page.html).toContain('Traffic is switched');

    await switchByHand(world);
    await decide(
      {
        workflow: 'failover',
        executionName: 'manual-ok',
        decision: 'approve',
        by: 'frank',
        via: 'cli',
        expect: 'confirmation',
      },
      world.deps,
      { trusted: true },
    );
    const result = await world.engine.waitForExecution(executionArn);
    await world.bus.settled();
    expect(result.status).toBe('SUCCEEDED');
    const history = world.engine.getExecutionHistory(executionArn);
    const states = statesEntered(history);
    expect(states.indexOf('ConfirmTrafficSwitch')).toBeGreaterThan(states.lastIndexOf('CheckPromotion'));
    expect(states.indexOf('CheckTraffic')).toBeGreaterThan(states.indexOf('ConfirmTrafficSwitch'));
    const output = result.output as {
      preflight: { traffic: { kind: string; detail: string } };
      traffic: { kind: string; confirmedBy: string };
      trafficCheck: { state: string; status: string };
    };
    expect(output.preflight.traffic.kind).toBe('manual');
    expect(output.preflight.traffic.detail).toContain('not checked: which appliance');
    expect(output.traffic).toMatchObject({ kind: 'manual', confirmedBy: 'frank (cli)' });
    expect(output.trafficCheck).toMatchObject({ state: 'done', status: 'HTTP 200' });
    expect(world.outbox!.sent.at(-1)!.subject).toContain('Failover done: ghe-replica is the primary');
    await world.failoverSettled();
    expect(await lockValue(world)).toBeUndefined();
  });

  it('no confirmation before the wait times out: loud PromotedButTrafficNotSwitched, the mail says traffic was NOT confirmed', async () => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'failover', manual(), 'manual-timeout');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotedButTrafficNotSwitched');
    expect(world.sandbox!.appliance(R).role).toBe('primary');
    const mail = world.outbox!.sent.at(-1)!;
    expect(mail.subject).toBe(
      '[ghes-ops] URGENT: ghe-replica PROMOTED BUT TRAFFIC NOT SWITCHED (PromotedButTrafficNotSwitched)',
    );
    expect(mail.text).toContain('nobody confirmed the manual traffic switch');
    expect(mail.text).toContain(`point ${SANDBOX_PUBLIC_NAME} (CNAME record`);
    await world.failoverSettled();
    expect(await lockValue(world)).toBeUndefined();
  });

  it('confirmed but the name still reaches the fenced old primary: PromotedButTrafficNotSwitched after the poll deadline', async () => {
    const world = testWorld();
    const { executionArn } = await world.engine.startExecution('failover', manual(), 'manual-lie');
    await askedToSwitch(world, executionArn);
    await decide(
      {
        workflow: 'failover',
        executionName: 'manual-lie',
        decision: 'approve',
        by: 'gina',
        via: 'cli',
        expect: 'confirmation',
      },
      world.deps,
      { trusted: true },
    );
    const result = await world.engine.waitForExecution(executionArn);
    expect(result.error).toBe('PromotedButTrafficNotSwitched');
    expect(causeMessage(result.cause)).toContain(
      `https://${SANDBOX_PUBLIC_NAME}/status still answers HTTP 503`,
    );
  });

  it('"cannot switch" from the operator: PromotedButTrafficNotSwitched at once', async () => {
    const world = testWorld();
    const { executionArn } = await world.engine.startExecution('failover', manual(), 'manual-no');
    await askedToSwitch(world, executionArn);
    await decide(
      {
        workflow: 'failover',
        executionName: 'manual-no',
        decision: 'reject',
        by: 'hal',
        reason: 'DNS team unreachable',
        via: 'cli',
        expect: 'confirmation',
      },
      world.deps,
      { trusted: true },
    );
    const result = await world.engine.waitForExecution(executionArn);
    expect(result.error).toBe('PromotedButTrafficNotSwitched');
    expect(causeMessage(result.cause)).toContain('Reported as not done by hal (cli): DNS team unreachable');
  });

  it('preflight refuses a hostname that does not resolve, before anything changes', async () => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'failover', manual('ghes.sandbox.tset'));
    expect(result.error).toBe('TrafficCheckFailed');
    expect(causeMessage(result.cause)).toContain('does not resolve (ENOTFOUND)');
    for (const t of [P, R])
      expect(lines(world, t).filter((l) => !/^(ghe-repl-status|ghe-version$|cat )/.test(l))).toEqual([]);
  });

  it('planned: preflight refuses a hostname that does not reach an active primary now', async () => {
    const world = testWorld();
    // The replica's own name answers 503 (it is a replica).
    const { result } = await runWorkflow(world, 'failover', manual(R));
    expect(result.error).toBe('TrafficCheckFailed');
    expect(causeMessage(result.cause)).toContain(`https://${R}/status answers HTTP 503, not 200`);
    expect(world.sandbox!.appliance(R).role).toBe('replica');
  });

  it('input: manual traffic needs replica.address and a host name', async () => {
    const world = testWorld();
    const { result } = await runWorkflow(
      world,
      'failover',
      failoverInput({ traffic: { manual: { hostname: 'not a host' } }, replica: { target: R } }),
    );
    expect(result.error).toBe('InputValidationError');
    const cause = causeMessage(result.cause);
    expect(cause).toContain('traffic.manual.hostname');
  });
});
