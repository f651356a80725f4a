import { requestDecision, type ApprovalRequested } from '../approval/gate.js';
import type { Deps } from '../runtime/deps.js';
import type { JiraPlan } from './plan.js';
import type { JiraPrefixListRequest } from './request.js';

/**
 * A change removing more than `maxRemovalPercent` of a list waits for an operator on the shared
 * operator wait (shared/approval/gate.ts): mail with the diff, link, `ghes-ops approve|reject`.
 * Approve: the execution applies exactly this plan (bound to the lists' versions: a list changed
 * meanwhile stops it with PrefixListVersionMismatch). Reject (PrefixListChangeRejected) or no answer
 * within the timeout: nothing is changed, and the mail says so.
 */
export const JIRA_APPROVAL_TIMEOUT_SECONDS = 3600;

const sample = (items: string[], max = 20): string[] => [
  ...items.slice(0, max).map((c) => `      ${c}`),
  ...(items.length > max ? [`      ... and ${items.length - max} more`] : []),
];

export async function requestJiraApproval(
  taskToken: string,
  input: { request: JiraPrefixListRequest; plan: JiraPlan; execution: { id: string; name: string } },
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'mailer' | 'params'>,
): Promise<ApprovalRequested> {
  const { request, plan, execution } = input;
  const adds = plan.lists.reduce((n, l) => n + l.add.length, 0);
  const removes = plan.lists.reduce((n, l) => n + l.remove.length, 0);
  const summary = [
    `A change of the Jira Cloud prefix list is waiting for your approval: it removes more than ${request.maxRemovalPercent}% of a list's entries.`,
    `  why:       ${plan.approvalReason ?? '(see the lists)'}`,
    `  ranges:    ${plan.rangesUrl} (syncToken ${plan.syncToken}, created ${plan.creationDate})`,
    `  change id: ${plan.changeId} (bound to the list versions below)`,
    `  execution: ${execution.id}`,
    '',
  ];
  for (const l of plan.lists) {
    summary.push(
      `  ${l.family} list ${l.id} (${l.name}), version ${l.version}: ${l.currentCount} entries now, ${l.desired.length} published; add ${l.add.length}, remove ${l.remove.length} (${l.removalPercent}%)`,
    );
    if (l.remove.length) summary.push('    remove:', ...sample(l.remove));
    if (l.add.length) summary.push('    add:', ...sample(l.add));
  }
  summary.push(
    '',
    "Check the removals against https://ip-ranges.atlassian.com/ and Atlassian's announcements: the security group referencing the list stops admitting the removed ranges at once.",
  );
  if (request.reason) summary.push(`Reason: ${request.reason}`);
  return requestDecision(
    taskToken,
    {
      workflow: 'jira-prefix-list',
      kind: 'approval',
      executionName: execution.name,
      executionArn: execution.id,
      notify: request.notify,
      subject: `[ghes-ops] APPROVAL NEEDED: Jira prefix list change +${adds} -${removes}`,
      summary,
      question:
        `Apply the Jira prefix list change ${plan.changeId} (+${adds} -${removes})? ${plan.approvalReason ?? ''}`.trim(),
      rejectError: 'PrefixListChangeRejected',
      timeoutSeconds: JIRA_APPROVAL_TIMEOUT_SECONDS,
      onTimeout: 'the execution ends and nothing is changed',
    },
    deps,
  );
}
