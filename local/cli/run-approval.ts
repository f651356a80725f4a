import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { decideApproval } from '../../shared/failover/approval.js';
import type { LocalWorld } from '../world.js';

/**
 * `ghes-ops run failover` with an approval gate: the execution lives in this process, so the
 * decision is taken here: `--approve` / `--reject` answer at once (non-interactive runs), a
 * terminal is asked, and otherwise the run waits for the approval timeout (and says so).
 */
export function answerApprovals(
  world: LocalWorld,
  executionArn: string,
  opts: { approve?: boolean; reject?: boolean; reason?: string },
  write: (line: string) => void,
): void {
  const name = executionArn.split(':').at(-1)!;
  world.engine.subscribe((event, arn) => {
    if (arn !== executionArn || event.type !== 'TaskTokenIssued') return;
    void (async () => {
      // The approval is stored by the step that received the token: wait for it.
      for (let i = 0; i < 200 && !world.outbox?.sent.some((m) => m.subject.includes('APPROVAL NEEDED')); i++)
        await new Promise((r) => setTimeout(r, 10));
      let decision: 'approve' | 'reject' | undefined = opts.approve
        ? 'approve'
        : opts.reject
          ? 'reject'
          : undefined;
      if (!decision && process.stdin.isTTY) {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`Approve the failover ${name}? Type "approve" or "reject": `);
        rl.close();
        decision =
          answer.trim() === 'approve' ? 'approve' : answer.trim() === 'reject' ? 'reject' : undefined;
      }
      if (!decision) {
        write(
          `  waiting for approval of ${name}: this run cannot be answered from elsewhere; rerun with --approve or --reject, or use \`ghes-ops start\` and \`ghes-ops approve ${name}\`. It times out after 30 minutes of workflow time.`,
        );
        return;
      }
      await decideApproval(
        {
          executionName: name,
          decision,
          by: `${userInfo().username} (ghes-ops run)`,
          ...(opts.reason ? { reason: opts.reason } : {}),
          via: 'cli',
        },
        world.deps,
        { trusted: true },
      );
      write(`  ${decision === 'approve' ? 'approved' : 'rejected'} ${name}`);
    })().catch((error: unknown) => write(`  approval failed: ${(error as Error).message}`));
  });
}
