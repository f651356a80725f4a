import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { approveCommand } from '../../local/cli/approve.js';
import { localHttpApi } from '../../local/stack-api.js';
import type { LocalWorld } from '../../local/world.js';
import { approvalLinkPage, approvalParam, decide, requestDecision } from '../../shared/approval/gate.js';
import { until } from '../helpers/failover.js';
import { testWorld } from '../helpers/local-world.js';

const LIST = 'pl-0123456789abcdef0';

/** A jira-prefix-list execution whose plan removes every entry: it waits for approval. */
async function waitingJira(world: LocalWorld, name: string): Promise<string> {
  world.runbook.prefixLists!.create(
    LIST,
    'public-ip-ranges-for-jira-cloud',
    'IPv4',
    Array.from({ length: 20 }, (_, i) => `10.9.${i}.0/24`),
    40,
  );
  const { executionArn } = await world.engine.startExecution('jira-prefix-list', {}, name);
  await until(() => world.engine.listPendingTasks(executionArn).length === 1);
  await until(
    async () =>
      (await world.deps.params.get(approvalParam(world.config, 'jira-prefix-list', name))) !== undefined,
  );
  return executionArn;
}

describe('the operator wait from the CLI: ghes-ops approve|reject|confirm-traffic on the local stack', () => {
  let world: LocalWorld;
  let server: ReturnType<typeof localHttpApi>;
  let url = '';
  beforeAll(async () => {
    world = testWorld();
    server = localHttpApi(world);
    ({ url } = await server.listen(0));
  });
  afterAll(async () => {
    await server.close();
    await world.close();
  });

  it('finds the execution’s workflow; confirm-traffic refuses an approval; approve decides it once', async () => {
    const executionArn = await waitingJira(world, 'cli-jira');
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await approveCommand('confirm-traffic', ['cli-jira'], url)).toBe(1);
      expect(String(err.mock.calls.at(-1)![0])).toContain(
        'waits for an approval, not for a traffic confirmation',
      );
      expect(world.engine.listPendingTasks(executionArn)).toHaveLength(1);
      expect(await approveCommand('approve', ['cli-jira', '--reason', 'announced by Atlassian'], url)).toBe(
        0,
      );
      expect(String(log.mock.calls.at(-1)![0])).toBe(`approved: ${executionArn}`);
      expect(await approveCommand('approve', ['cli-jira'], url)).toBe(1);
      expect(await approveCommand('approve', ['no-such-execution'], url)).toBe(1);
      expect(await approveCommand('approve', ['bad name;'], url)).toBe(2);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    const result = await world.engine.waitForExecution(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(world.runbook.prefixLists!.snapshot(LIST).cidrs).not.toContain('10.9.0.0/24');
  });
});

describe('the gate itself (shared/approval/gate.ts)', () => {
  const ask = (world: LocalWorld, name: string) =>
    requestDecision(
      'token-secret-123',
      {
        workflow: 'tls-certificate',
        kind: 'approval',
        executionName: name,
        executionArn: `arn:aws:states:local:000000000000:execution:tls-certificate:${name}`,
        notify: ['ops@example.com'],
        subject: 'ask',
        summary: ['what'],
        question: 'Run it?',
        rejectError: 'RecoveryRejected',
        timeoutSeconds: 60,
        onTimeout: 'nothing changes',
      },
      world.deps,
    );
  const sent = (world: LocalWorld) => {
    const success = jest.spyOn(world.deps.executions, 'sendTaskSuccess').mockResolvedValue(undefined);
    const failure = jest.spyOn(world.deps.executions, 'sendTaskFailure').mockResolvedValue(undefined);
    return { success, failure };
  };

  it('stores only a SecureString with the code hash; a wrong code, another workflow or an expired wait decide nothing', async () => {
    process.env.GHES_OPS_APPROVAL_URL = 'https://api.example.com/';
    const world = testWorld();
    try {
      const put = jest.spyOn(world.deps.params, 'put');
      await ask(world, 'gate-1');
      expect(put.mock.calls[0]![0]).toBe(approvalParam(world.config, 'tls-certificate', 'gate-1'));
      expect(put.mock.calls[0]![2]).toEqual({ secure: true, overwrite: true });
      const mail = world.outbox!.sent.at(-1)!;
      expect(mail.text).not.toContain('token-secret-123');
      const code = new URL(/(https:\/\/api\.example\.com\S+)/.exec(mail.text)![1]!).searchParams.get('code')!;
      expect(JSON.stringify(put.mock.calls[0]![1])).not.toContain(code);
      const { success } = sent(world);
      const post = (workflow: string, body: string) =>
        approvalLinkPage('POST', workflow, 'gate-1', new URLSearchParams(), body, world.deps);
      expect(
        (
          await approvalLinkPage(
            'GET',
            'tls-certificate',
            'gate-1',
            new URLSearchParams('code=nope'),
            '',
            world.deps,
          )
        ).status,
      ).toBe(404);
      expect((await post('tls-certificate', `decision=approve&code=${code}x`)).status).toBe(404);
      expect((await post('backup-health', `decision=approve&code=${code}`)).status).toBe(404);
      expect((await post('tls-certificate', 'decision=maybe')).status).toBe(400);
      expect(success).not.toHaveBeenCalled();
      // Past the expiry the code is useless, and the wait is removed.
      jest.spyOn(world.deps.clock, 'now').mockReturnValue(Date.now() + 3_600_000);
      expect((await post('tls-certificate', `decision=approve&code=${code}`)).status).toBe(404);
      expect(
        await world.deps.params.get(approvalParam(world.config, 'tls-certificate', 'gate-1')),
      ).toBeUndefined();
      expect(success).not.toHaveBeenCalled();
    } finally {
      delete process.env.GHES_OPS_APPROVAL_URL;
    }
  });

  it('reject sends the workflow’s error with who and why; the wait is single use', async () => {
    const world = testWorld();
    await ask(world, 'gate-2');
    const { failure } = sent(world);
    await decide(
      {
        workflow: 'tls-certificate',
        executionName: 'gate-2',
        decision: 'reject',
        by: 'ivy\u0007',
        reason: 'not now\nreally',
        via: 'cli',
      },
      world.deps,
      { trusted: true },
    );
    expect(failure).toHaveBeenCalledWith(
      'token-secret-123',
      'RecoveryRejected',
      'Rejected by ivy (cli): not now really.',
    );
    await expect(
      decide(
        { workflow: 'tls-certificate', executionName: 'gate-2', decision: 'approve', by: 'x', via: 'cli' },
        world.deps,
        { trusted: true },
      ),
    ).rejects.toThrow(/No tls-certificate approval is waiting for execution gate-2/);
  });
});
