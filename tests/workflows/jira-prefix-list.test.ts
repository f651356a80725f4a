import { describe, expect, it } from '@jest/globals';
import { causeMessage } from '../../shared/errors.js';
import { SYNC_TOKEN_TAG } from '../../shared/jira-prefix-list/plan.js';
import { CHANGED_ADDED, CHANGED_REMOVED, GUIDE_JIRA_CIDRS } from '../../local/sandbox/runbook/atlassian.js';
import { SANDBOX_SYNC_TOKENS } from '../../local/sandbox/runbook/install.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';
import { until } from '../helpers/failover.js';
import { approvalLinkPage, decide } from '../../shared/approval/gate.js';

const LIST = 'pl-0123456789abcdef0';
const statesEntered = (history: { type: string; stateName?: string }[]): string[] =>
  history.filter((e) => e.type === 'StateEntered').map((e) => e.stateName ?? '');
const modifies = (world: ReturnType<typeof testWorld>) =>
  world.runbook.prefixLists!.calls.filter((c) => c.op === 'ModifyManagedPrefixList');

describe('jira-prefix-list workflow (real ASL, local engine, sandbox ranges and prefix list)', () => {
  it("finds the list in sync with the guide's 14 CIDRs, tags it, and skips the next run on the same syncToken", async () => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'jira-prefix-list', {});
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { plan: { action: string } }).plan.action).toBe('in-sync');
    expect(modifies(world)).toEqual([]);
    const list = world.runbook.prefixLists!.snapshot(LIST);
    expect(list.cidrs).toEqual([...GUIDE_JIRA_CIDRS].sort());
    expect(list.tags[SYNC_TOKEN_TAG]).toBe(String(SANDBOX_SYNC_TOKENS.unchanged));
    expect(world.outbox!.sent[0]!.subject).toBe('[ghes-ops] Jira prefix list: in sync');

    const reads = (): number =>
      world.runbook.prefixLists!.calls.filter((c) => c.op === 'GetManagedPrefixListEntries').length;
    const before = reads();
    const again = await runWorkflow(world, 'jira-prefix-list', {});
    expect((again.result.output as { plan: { action: string } }).plan.action).toBe('skip');
    expect(reads()).toBe(before);
    expect(world.outbox!.sent[1]!.text).toContain('unchanged since the last sync');
  });

  it('grows MaxEntries first, then applies +2 -1 with CurrentVersion, and mails the diff', async () => {
    const world = testWorld({ scenario: 'jira-ranges-changed' });
    const { result, history } = await runWorkflow(world, 'jira-prefix-list', { notify: ['net@example.com'] });
    expect(result.status).toBe('SUCCEEDED');
    const calls = modifies(world).map((c) => c.detail);
    expect(calls).toEqual([
      { id: LIST, currentVersion: 1, maxEntries: 15 },
      {
        id: LIST,
        currentVersion: 1,
        add: CHANGED_ADDED.sort().map((cidr) => ({
          cidr,
          description: expect.stringContaining('Atlassian'),
        })),
        remove: CHANGED_REMOVED,
      },
    ]);
    const list = world.runbook.prefixLists!.snapshot(LIST);
    expect(list.cidrs).toEqual(
      [...GUIDE_JIRA_CIDRS.filter((c) => !CHANGED_REMOVED.includes(c)), ...CHANGED_ADDED].sort(),
    );
    expect(list).toMatchObject({ version: 2, maxEntries: 15 });
    expect(list.tags[SYNC_TOKEN_TAG]).toBe(String(SANDBOX_SYNC_TOKENS.changed));
    // The state machine waited for modify-complete between the calls.
    expect(statesEntered(history).filter((s) => s === 'WaitForList').length).toBeGreaterThanOrEqual(2);
    const mail = world.outbox!.sent[0]!;
    expect(mail.subject).toBe('[ghes-ops] Jira prefix list: updated: +2 -1');
    expect(mail.text).toContain('3.26.128.128/26');
    expect(mail.text).toContain('MaxEntries raised to 15');
    expect(mail.to).toEqual(['net@example.com']);
  });

  it('dry run: plans and mails the change, changes nothing', async () => {
    const world = testWorld({ scenario: 'jira-ranges-changed' });
    const { result, history } = await runWorkflow(world, 'jira-prefix-list', { dryRun: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(history)).not.toContain('ApplyBatch');
    expect(modifies(world)).toEqual([]);
    expect(world.runbook.prefixLists!.snapshot(LIST).tags).toEqual({});
    expect(world.outbox!.sent[0]!.subject).toBe('[ghes-ops] Jira prefix list: dry run: +2 -1');
  });

  it('stops with PrefixListVersionMismatch when another change lands first, and applies nothing of its own', async () => {
    const world = testWorld({ scenario: 'jira-version-conflict' });
    const { result } = await runWorkflow(world, 'jira-prefix-list', {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PrefixListVersionMismatch');
    expect(causeMessage(result.cause)).toMatch(/incorrect version number/);
    const list = world.runbook.prefixLists!.snapshot(LIST);
    expect(list.cidrs).toEqual([...GUIDE_JIRA_CIDRS, '198.51.100.0/24'].sort());
    expect(list.maxEntries).toBe(14);
    const mail = world.outbox!.sent[0]!;
    expect(mail.subject).toBe('[ghes-ops] Jira prefix list: FAILED (PrefixListVersionMismatch)');
    expect(mail.text).toContain('Run the workflow again');
  });

  it('fails with IpRangesFetchFailed when the ranges cannot be fetched, before reading the list', async () => {
    const world = testWorld({ scenario: 'jira-fetch-fails' });
    const { result } = await runWorkflow(world, 'jira-prefix-list', {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('IpRangesFetchFailed');
    expect(world.runbook.prefixLists!.calls).toEqual([]);
    expect(world.outbox!.sent[0]!.text).toContain('HTTP 503');
  });

  describe('a change removing more than the share waits for an operator (callback)', () => {
    const setup = () => {
      const world = testWorld();
      const stale = Array.from({ length: 130 }, (_, i) => `10.1.${i}.0/24`);
      world.runbook.prefixLists!.create(LIST, 'public-ip-ranges-for-jira-cloud', 'IPv4', stale, 150);
      return { world, stale };
    };
    const waiting = async (world: ReturnType<typeof testWorld>, executionArn: string) => {
      await until(
        () =>
          world.engine.listPendingTasks(executionArn).length === 1 &&
          world.outbox!.sent.some((m) => m.subject.includes('APPROVAL NEEDED')),
      );
      return world.outbox!.sent.find((m) => m.subject.includes('APPROVAL NEEDED'))!;
    };

    it('approve (link): the execution goes on and applies exactly the plan, in calls of at most 100', async () => {
      process.env.GHES_OPS_APPROVAL_URL = 'http://127.0.0.1:8787';
      try {
        const { world } = setup();
        const { executionArn } = await world.engine.startExecution('jira-prefix-list', {}, 'jira-approve');
        const ask = await waiting(world, executionArn);
        expect(ask.subject).toBe('[ghes-ops] APPROVAL NEEDED: Jira prefix list change +14 -130');
        expect(ask.text).toContain('would lose 130 of 130 entries');
        expect(ask.text).toContain('ghes-ops approve jira-approve');
        expect(ask.text).not.toContain(world.engine.listPendingTasks(executionArn)[0]!.token);
        expect(modifies(world)).toEqual([]);
        const link = new URL(/(http:\/\/127\.0\.0\.1:8787\S+)/.exec(ask.text)![1]!);
        expect(link.pathname).toBe('/jira-prefix-list/approvals/jira-approve');
        const code = link.searchParams.get('code')!;
        const page = await approvalLinkPage(
          'GET',
          'jira-prefix-list',
          'jira-approve',
          link.searchParams,
          '',
          world.deps,
        );
        expect(page.status).toBe(200);
        expect(page.html).toContain('Apply the Jira prefix list change');
        // The same code on another workflow's path finds nothing.
        const elsewhere = await approvalLinkPage(
          'POST',
          'failover',
          'jira-approve',
          new URLSearchParams(),
          `decision=approve&code=${code}`,
          world.deps,
        );
        expect(elsewhere.status).toBe(404);
        const ok = await approvalLinkPage(
          'POST',
          'jira-prefix-list',
          'jira-approve',
          new URLSearchParams(),
          `decision=approve&code=${code}&name=carol`,
          world.deps,
        );
        expect(ok.status).toBe(200);
        const result = await world.engine.waitForExecution(executionArn);
        expect(result.status).toBe('SUCCEEDED');
        const sizes = modifies(world).map((c) => {
          const d = c.detail as { add?: unknown[]; remove?: unknown[] };
          return (d.add?.length ?? 0) + (d.remove?.length ?? 0);
        });
        expect(sizes).toEqual([100, 44]);
        expect(world.runbook.prefixLists!.snapshot(LIST).cidrs).toEqual([...GUIDE_JIRA_CIDRS].sort());
        const mail = world.outbox!.sent.at(-1)!;
        expect(mail.subject).toBe('[ghes-ops] Jira prefix list: updated: +14 -130');
        expect(mail.text).toContain('approved by carol');
      } finally {
        delete process.env.GHES_OPS_APPROVAL_URL;
      }
    });

    it('reject (CLI): nothing is changed, the execution ends PrefixListChangeRejected and the mail says nothing changed', async () => {
      const { world, stale } = setup();
      const { executionArn } = await world.engine.startExecution('jira-prefix-list', {}, 'jira-reject');
      await waiting(world, executionArn);
      await decide(
        {
          workflow: 'jira-prefix-list',
          executionName: 'jira-reject',
          decision: 'reject',
          by: 'dave',
          reason: 'not announced',
          via: 'cli',
        },
        world.deps,
        { trusted: true },
      );
      const result = await world.engine.waitForExecution(executionArn);
      expect(result.error).toBe('PrefixListChangeRejected');
      expect(modifies(world)).toEqual([]);
      expect(world.runbook.prefixLists!.snapshot(LIST).cidrs).toEqual([...stale].sort());
      const mail = world.outbox!.sent.at(-1)!;
      expect(mail.subject).toBe('[ghes-ops] Jira prefix list: change REJECTED, nothing changed');
      expect(mail.text).toContain('Rejected by dave (cli): not announced');
      expect(mail.text).toContain('NOTHING WAS CHANGED');
    });

    it('timeout: nothing is changed and the mail says so; the stored approval is gone', async () => {
      const { world } = setup();
      const { result } = await runWorkflow(world, 'jira-prefix-list', {}, 'jira-timeout');
      expect(result.error).toBe('States.Timeout');
      expect(modifies(world)).toEqual([]);
      const mail = world.outbox!.sent.at(-1)!;
      expect(mail.subject).toBe('[ghes-ops] Jira prefix list: approval timed out, nothing changed');
      expect(mail.text).toContain('NOTHING WAS CHANGED');
      await expect(
        decide(
          {
            workflow: 'jira-prefix-list',
            executionName: 'jira-timeout',
            decision: 'approve',
            by: 'late',
            via: 'cli',
          },
          world.deps,
          { trusted: true },
        ),
      ).rejects.toThrow(/No jira-prefix-list approval is waiting/);
    });

    it('an approved change id in the input applies at once, without waiting', async () => {
      const { world } = setup();
      const first = await runWorkflow(world, 'jira-prefix-list', { dryRun: true });
      const plan = (first.result.output as { plan: { changeId: string } }).plan;
      const approved = await runWorkflow(world, 'jira-prefix-list', { approve: plan.changeId });
      expect(approved.result.status).toBe('SUCCEEDED');
      expect(statesEntered(approved.history)).not.toContain('RequestApproval');
      expect(world.runbook.prefixLists!.snapshot(LIST).cidrs).toEqual([...GUIDE_JIRA_CIDRS].sort());
    });
  });

  it('refuses unknown or malformed input before reading anything', async () => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'jira-prefix-list', {
      products: ['jira; rm -rf /'],
      maxRemovalPercent: 150,
      prefixListId: 'pl-0aaaaaaaaaaaaaaaa',
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InputValidationError');
    const cause = causeMessage(result.cause);
    expect(cause).toContain('products');
    expect(cause).toContain('maxRemovalPercent');
    expect(cause).toContain('prefixListId: unknown field');
    expect(world.runbook.prefixLists!.calls).toEqual([]);
  });
});

describe('jira-prefix-list with an IPv6 list', () => {
  it('keeps the IPv6 ranges in their own list', async () => {
    const V6 = 'pl-0fedcba9876543210';
    const world = testWorld({
      scenario: 'jira-ranges-changed',
      config: (c) => {
        c.runbook!.jira = { ...c.runbook!.jira!, prefixListIdIpv6: V6 };
      },
    });
    const { result } = await runWorkflow(world, 'jira-prefix-list', {});
    expect(result.status).toBe('SUCCEEDED');
    const plan = (
      result.output as { plan: { lists: { family: string; id: string }[]; unmanaged: unknown[] } }
    ).plan;
    expect(plan.lists.map((l) => [l.family, l.id])).toEqual([
      ['IPv4', LIST],
      ['IPv6', V6],
    ]);
    expect(plan.unmanaged).toEqual([]);
    expect(world.runbook.prefixLists!.snapshot(V6).cidrs).toEqual(['2401:1d80:3000::/40']);
    expect(world.runbook.prefixLists!.snapshot(V6).tags[SYNC_TOKEN_TAG]).toBe(
      String(SANDBOX_SYNC_TOKENS.changed),
    );
    expect(world.runbook.prefixLists!.snapshot(LIST).cidrs).not.toContain('2401:1d80:3000::/40');
  });
});
