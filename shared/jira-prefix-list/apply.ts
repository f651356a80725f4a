import type { Deps } from '../runtime/deps.js';
import { MAX_CHANGES_PER_CALL } from '../network/prefix-lists.js';
import { PrefixListUnusable, PrefixListVersionMismatch } from '../runbook/errors.js';
import { SYNC_TOKEN_TAG, type JiraPlan } from './plan.js';
import type { JiraPrefixListRequest } from './request.js';

export interface ListProgress {
  /**
   * The versions the list may be at if nobody else changed it: the plan's version first, then
   * what our last call produced (an entries change adds one; a MaxEntries change may not).
   */
  expectedVersions: number[];
  added: number;
  removed: number;
  resizedTo?: number;
  done: boolean;
}

export interface ApplyProgress {
  calls: number;
  done: boolean;
  lists: Record<string, ListProgress>;
  /** What the last call did, for the history. */
  last?: string;
  /** Who approved an `approval-required` plan (the operator wait's decision; set by the state machine). */
  approvedBy?: string;
}

/** Guards a loop that never converges (e.g. another writer keeps changing the list). */
export const MAX_APPLY_CALLS = 60;
const DESCRIPTION = (syncToken: string): string => `Atlassian IP range (syncToken ${syncToken}), ghes-ops`;

/**
 * One step of applying the plan: at most one ModifyManagedPrefixList call, then the state machine
 * waits and calls again (a list is modify-in-progress for a while after each call). Each step
 * re-reads the list and requires the version our previous call left (the plan's version first):
 * another writer's change stops the workflow with PrefixListVersionMismatch instead of being
 * overwritten. MaxEntries grows before entries are added; removals go in the earliest calls, so
 * the list never holds more than max(current, desired) entries; at most 100 changes per call.
 */
export async function applyNextBatch(
  request: JiraPrefixListRequest,
  plan: JiraPlan,
  progress: Partial<ApplyProgress>,
  deps: Pick<Deps, 'prefixLists' | 'log'>,
): Promise<ApplyProgress> {
  const out: ApplyProgress = {
    calls: progress.calls ?? 0,
    done: false,
    lists: { ...(progress.lists ?? {}) },
    ...(progress.approvedBy ? { approvedBy: progress.approvedBy } : {}),
  };
  const approved = plan.action === 'approval-required' && Boolean(progress.approvedBy);
  if (plan.action !== 'apply' && plan.action !== 'in-sync' && !approved)
    return { ...out, done: true, last: `nothing to apply (${plan.action})` };
  if (out.calls >= MAX_APPLY_CALLS)
    throw new PrefixListUnusable(
      `The prefix lists did not converge after ${MAX_APPLY_CALLS} modifications; stopping. Check the lists' history in the VPC console.`,
    );
  for (const list of plan.lists) {
    const st: ListProgress = out.lists[list.id] ?? {
      expectedVersions: [list.version],
      added: 0,
      removed: 0,
      done: false,
    };
    out.lists[list.id] = st;
    if (st.done) continue;
    const info = await deps.prefixLists.describe(list.id);
    if (info.state.endsWith('-in-progress')) return { ...out, last: `${list.id} is ${info.state}; waiting` };
    if (info.state.endsWith('-failed'))
      throw new PrefixListUnusable(
        `Modifying prefix list ${list.id} failed (state ${info.state}${info.stateMessage ? `: ${info.stateMessage}` : ''}). ` +
          `Entries applied so far: +${st.added} -${st.removed}. Check the list in the VPC console, then run again.`,
      );
    if (!st.expectedVersions.includes(info.version))
      throw new PrefixListVersionMismatch(
        `Prefix list ${list.id} is at version ${info.version}, but this workflow expected version ${st.expectedVersions.join(' or ')}: somebody else changed it. ` +
          `Nothing more was changed (entries applied so far: +${st.added} -${st.removed}). Run the workflow again: it plans from the list as it is now.`,
        { listId: list.id, version: info.version, expected: st.expectedVersions },
      );
    const current = (await deps.prefixLists.entries(list.id)).map((e) => e.cidr);
    const have = new Set(current);
    const want = new Set(list.desired);
    const add = list.desired.filter((c) => !have.has(c));
    const remove = current.filter((c) => !want.has(c)).sort();
    if (add.length + remove.length === 0) {
      await deps.prefixLists.tag(list.id, SYNC_TOKEN_TAG, plan.syncToken);
      st.done = true;
      deps.log.info('prefix list in sync', { id: list.id, version: info.version, syncToken: plan.syncToken });
      continue;
    }
    if (list.desired.length > info.maxEntries) {
      const after = await deps.prefixLists.modify({
        id: list.id,
        currentVersion: info.version,
        maxEntries: list.desired.length,
      });
      st.expectedVersions = [...new Set([info.version, info.version + 1, after.version])];
      st.resizedTo = list.desired.length;
      out.calls++;
      return { ...out, last: `${list.id}: MaxEntries ${info.maxEntries} -> ${list.desired.length}` };
    }
    const batchRemove = remove.slice(0, MAX_CHANGES_PER_CALL);
    const batchAdd = add.slice(0, MAX_CHANGES_PER_CALL - batchRemove.length);
    const after = await deps.prefixLists.modify({
      id: list.id,
      currentVersion: info.version,
      ...(batchAdd.length
        ? { add: batchAdd.map((cidr) => ({ cidr, description: DESCRIPTION(plan.syncToken) })) }
        : {}),
      ...(batchRemove.length ? { remove: batchRemove } : {}),
    });
    st.expectedVersions = [...new Set([info.version + 1, after.version])].filter((v) => v > info.version);
    st.added += batchAdd.length;
    st.removed += batchRemove.length;
    out.calls++;
    deps.log.info('prefix list modified', {
      id: list.id,
      fromVersion: info.version,
      toVersion: after.version,
      add: batchAdd.length,
      remove: batchRemove.length,
    });
    return {
      ...out,
      last: `${list.id}: +${batchAdd.length} -${batchRemove.length} (version ${info.version})`,
    };
  }
  return { ...out, done: true, last: 'every list matches the published ranges' };
}
