import { causeMessage, type ErrorInfo } from '../errors.js';
import { sendNotification, type Notification, type NotifyResult } from '../mail/notify.js';
import type { Deps } from '../runtime/deps.js';
import type { ApplyProgress } from './apply.js';
import type { JiraPlan } from './plan.js';
import type { JiraPrefixListRequest } from './request.js';

export interface JiraPrefixListState {
  request: JiraPrefixListRequest;
  plan?: JiraPlan;
  progress?: ApplyProgress;
  error?: ErrorInfo;
}

export type JiraOutcome =
  | 'in-sync'
  | 'skipped'
  | 'dry-run'
  | 'approval-required'
  | 'rejected'
  | 'approval-timeout'
  | 'updated'
  | 'failed';

export interface JiraPrefixListResult extends NotifyResult {
  outcome: JiraOutcome;
  syncToken?: string;
}

const HINT: Record<string, string> = {
  IpRangesFetchFailed:
    "Atlassian's ranges could not be fetched. Check outbound HTTPS from the function (NAT gateway or proxy) to ip-ranges.atlassian.com; the prefix list was not touched.",
  IpRangesInvalid: 'The ranges document was refused; the prefix list was not touched.',
  PrefixListVersionMismatch:
    'Somebody else changed the prefix list while this workflow worked on it. Run the workflow again: it plans from the list as it is now.',
  PrefixListUnusable: 'The prefix list cannot be used as configured; see the error.',
};

const list = (items: string[], max = 30): string[] => [
  ...items.slice(0, max).map((c) => `    ${c}`),
  ...(items.length > max ? [`    ... and ${items.length - max} more`] : []),
];

/** The mail: what was found (document, lists, diff), what was done, and what to do next. */
export function composeJiraOutcome(state: JiraPrefixListState): { note: Notification; outcome: JiraOutcome } {
  const { request, plan, progress, error } = state;
  const lines: string[] = [];
  let outcome: JiraOutcome;
  let summary: string;
  const waited = plan?.action === 'approval-required' && !progress;
  if (error && waited && (error.Error === 'PrefixListChangeRejected' || error.Error === 'States.Timeout')) {
    const rejected = error.Error === 'PrefixListChangeRejected';
    outcome = rejected ? 'rejected' : 'approval-timeout';
    summary = rejected ? 'change REJECTED, nothing changed' : 'approval timed out, nothing changed';
    lines.push(
      rejected
        ? `The prefix list change below was REJECTED: ${causeMessage(error.Cause)}`
        : 'Nobody approved or rejected the prefix list change below before the approval wait timed out.',
      `NOTHING WAS CHANGED: the lists keep their ${plan.lists.map((l) => `${l.currentCount} entries (${l.id}, version ${l.version})`).join(', ')}.`,
      '',
      `Why it needed approval: ${plan.approvalReason}.`,
      'To apply it later, run the workflow again (it asks again), or start it with the change id after checking the removals:',
      `  {"approve": "${plan.changeId}"}   (valid while the lists stay at the versions below)`,
      '',
    );
  } else if (error) {
    outcome = 'failed';
    summary = `FAILED (${error.Error})`;
    lines.push(
      `Syncing the Jira Cloud prefix list with Atlassian's published IP ranges FAILED.`,
      '',
      `Error: ${error.Error}`,
      causeMessage(error.Cause),
      '',
      `What to do: ${HINT[error.Error] ?? 'see the error above, fix it, and run the workflow again.'}`,
      '',
    );
  } else if (!plan) {
    outcome = 'failed';
    summary = 'no plan';
    lines.push('The workflow ended without a plan.', '');
  } else {
    const adds = plan.lists.reduce((n, l) => n + l.add.length, 0);
    const removes = plan.lists.reduce((n, l) => n + l.remove.length, 0);
    switch (plan.action === 'approval-required' && progress?.approvedBy ? 'apply' : plan.action) {
      case 'skip':
        outcome = 'skipped';
        summary = `unchanged (syncToken ${plan.syncToken})`;
        lines.push(
          `Atlassian's ranges are unchanged since the last sync (syncToken ${plan.syncToken}); nothing was read or changed.`,
          'To compare the lists anyway (e.g. after a manual edit), run with {"force": true}.',
          '',
        );
        break;
      case 'in-sync':
        outcome = 'in-sync';
        summary = 'in sync';
        lines.push("The prefix lists already match Atlassian's published ranges; nothing was changed.", '');
        break;
      case 'dry-run':
        outcome = 'dry-run';
        summary = `dry run: +${adds} -${removes}`;
        lines.push(
          `DRY RUN: the prefix lists differ from Atlassian's published ranges (+${adds} -${removes}); nothing was changed.`,
          `To apply exactly this change, run without dryRun${plan.lists.some((l) => l.removalPercent > request.maxRemovalPercent) ? ` and with {"approve": "${plan.changeId}"}` : ''}.`,
          '',
        );
        break;
      case 'approval-required':
        outcome = 'approval-required';
        summary = `APPROVAL REQUIRED: +${adds} -${removes}`;
        lines.push(
          `The change below removes more than ${request.maxRemovalPercent}% of a list's entries and was not approved, so it was NOT applied: ${plan.approvalReason}.`,
          '',
          "Check the removals against https://ip-ranges.atlassian.com/ and Atlassian's announcements. To apply exactly this change",
          `(it is bound to the lists' current versions), start the workflow with: {"approve": "${plan.changeId}"}`,
          '',
        );
        break;
      default:
        outcome = 'updated';
        summary = `updated: +${adds} -${removes}`;
        lines.push(
          `The prefix lists were updated to Atlassian's published ranges (+${adds} -${removes}).`,
          ...(progress?.approvedBy
            ? [
                `The change removed more than ${request.maxRemovalPercent}% of a list; approved by ${progress.approvedBy}.`,
              ]
            : []),
          '',
        );
    }
  }
  if (plan) {
    lines.push(
      'What was found:',
      `  ranges:   ${plan.rangesUrl} (syncToken ${plan.syncToken}, created ${plan.creationDate})`,
      `  selected: products ${request.products.join(', ')}; direction ${request.directions.join(', ')}`,
    );
    for (const l of plan.lists) {
      const p = progress?.lists[l.id];
      lines.push(
        `  ${l.family} list ${l.id} (${l.name}): version ${l.version}, MaxEntries ${l.maxEntries}, last synced to ${l.lastSyncToken ?? 'never'}`,
      );
      if (plan.action === 'skip') continue;
      lines.push(
        `    ${l.currentCount} entries now, ${l.desired.length} published; add ${l.add.length}, remove ${l.remove.length} (${l.removalPercent}%)`,
      );
      if (l.add.length) lines.push('  add:', ...list(l.add));
      if (l.remove.length) lines.push('  remove:', ...list(l.remove));
      if (p) {
        lines.push(
          `    applied: +${p.added} -${p.removed}${p.resizedTo ? `, MaxEntries raised to ${p.resizedTo}` : ''}${p.done ? ', done' : ', NOT finished'}`,
        );
      }
    }
    for (const u of plan.unmanaged)
      lines.push(
        `  ${u.count} published ${u.family} ranges have no list configured (set jiraPrefixListIdIpv6 to manage them).`,
      );
  }
  if (request.reason) lines.push('', `Reason: ${request.reason}`);
  lines.push('', '-- ghes-ops jira-prefix-list workflow');
  return { note: { subject: `[ghes-ops] Jira prefix list: ${summary}`, text: lines.join('\n') }, outcome };
}

export async function notifyJiraOutcome(
  state: JiraPrefixListState,
  deps: Deps,
): Promise<JiraPrefixListResult> {
  const { note, outcome } = composeJiraOutcome(state);
  const sent = await sendNotification(state.request.notify, note, deps);
  return { outcome, ...(state.plan ? { syncToken: state.plan.syncToken } : {}), ...sent };
}
