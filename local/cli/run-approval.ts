import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import {
  approvalParam,
  decide,
  type ApprovalWorkflow,
  type StoredApproval,
} from '../../shared/approval/gate.js';
import type { LocalWorld } from '../world.js';

/**
 * `ghes-ops run <workflow>` with an operator wait: the execution lives in this process, so the
 * decision is taken here. An approval: `--approve` / `--reject` answer at once (non-interactive
 * runs), a terminal is asked, and otherwise the run waits for the timeout (and says so). A manual
 * traffic confirmation is never answered by a flag (nobody can have switched traffic before being
 * asked): only in the terminal.
 */
export function answerApprovals(
  world: LocalWorld,
  executionArn: string,
  opts: { approve?: boolean; reject?: boolean; reason?: string },
  write: (line: string) => void,
): void {
  const name = executionArn.split(':').at(-1)!;
  const workflow = executionArn.split(':').at(-2) as ApprovalWorkflow;
  world.engine.subscribe((event, arn) => {
    if (arn !== executionArn || event.type !== 'TaskTokenIssued') return;
    void (async () => {
      // The approval is stored by the step that received the token: wait for it.
      const param = approvalParam(world.config, workflow, name);
      let stored: StoredApproval | undefined;
      for (let i = 0; i < 300 && !stored; i++) {
        const text = await world.deps.params.get(param);
        if (text) stored = JSON.parse(text) as StoredApproval;
        else await new Promise((r) => setTimeout(r, 10));
      }
      if (!stored) return;
      const confirmation = stored.kind === 'confirmation';
      let decision: 'approve' | 'reject' | undefined = confirmation
        ? undefined
        : opts.approve
          ? 'approve'
          : opts.reject
            ? 'reject'
            : undefined;
      if (!decision && process.stdin.isTTY) {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(
          confirmation
            ? `${stored.question ?? 'Is traffic switched?'} Type "switched" when it is, or "failed": `
            : `${stored.question ?? `Approve ${name}?`} Type "approve" or "reject": `,
        );
        rl.close();
        const a = answer.trim();
        decision = confirmation
          ? a === 'switched'
            ? 'approve'
            : a === 'failed'
              ? 'reject'
              : undefined
          : a === 'approve'
            ? 'approve'
            : a === 'reject'
              ? 'reject'
              : undefined;
      }
      if (!decision) {
        write(
          confirmation
            ? `  waiting for the traffic switch of ${name}: this run cannot be answered from elsewhere; use \`ghes-ops start\` and \`ghes-ops confirm-traffic ${name}\`. Until ${stored.expiresAt} of workflow time.`
            : `  waiting for approval of ${name}: this run cannot be answered from elsewhere; rerun with --approve or --reject, or use \`ghes-ops start\` and \`ghes-ops approve ${name}\`. Until ${stored.expiresAt} of workflow time.`,
        );
        return;
      }
      await decide(
        {
          workflow,
          executionName: name,
          decision,
          by: `${userInfo().username} (ghes-ops run)`,
          ...(opts.reason ? { reason: opts.reason } : {}),
          via: 'cli',
        },
        world.deps,
        { trusted: true },
      );
      write(
        `  ${decision === 'approve' ? (confirmation ? 'confirmed' : 'approved') : confirmation ? 'reported not switched' : 'rejected'} ${name}`,
      );
    })().catch((error: unknown) => write(`  approval failed: ${(error as Error).message}`));
  });
}
