import { nodeCrypto } from '../runtime/builtins.js';
import type { Deps } from '../runtime/deps.js';
import { PrefixListUnusable, IpRangesInvalid } from '../runbook/errors.js';
import { parseAtlassianRanges, selectRanges } from './ranges.js';
import type { JiraPrefixListRequest } from './request.js';

/** Tag on each list: the Atlassian syncToken it was last synced to. */
export const SYNC_TOKEN_TAG = 'ghes-ops:atlassian-sync-token';

export interface ListPlan {
  family: 'IPv4' | 'IPv6';
  id: string;
  name: string;
  /** The version read: every change must be based on it (CurrentVersion). */
  version: number;
  maxEntries: number;
  lastSyncToken?: string;
  currentCount: number;
  desired: string[];
  add: string[];
  remove: string[];
  /** Percent of the current entries the change removes. */
  removalPercent: number;
}

export type PlanAction = 'in-sync' | 'skip' | 'dry-run' | 'approval-required' | 'apply';

export interface JiraPlan {
  action: PlanAction;
  syncToken: string;
  creationDate: string;
  rangesUrl: string;
  /** Hash of the lists, versions and changes: what an approval approves. */
  changeId: string;
  lists: ListPlan[];
  /** Selected ranges of a family that has no list configured (not applied). */
  unmanaged: { family: 'IPv4' | 'IPv6'; count: number }[];
  /** Why approval is required (the lists over the removal threshold). */
  approvalReason?: string;
}

/**
 * Reads everything before anything changes: the published ranges, and every configured list
 * (state, version, MaxEntries, tags, entries). Decides what to do; changes nothing.
 */
export async function planPrefixLists(
  request: JiraPrefixListRequest,
  deps: Pick<Deps, 'ipRanges' | 'prefixLists' | 'log'>,
): Promise<JiraPlan> {
  const response = await deps.ipRanges.fetch(request.rangesUrl);
  const ranges = parseAtlassianRanges(response.body);
  const selected = selectRanges(ranges, request.products, request.directions);
  if (selected.IPv4.length + selected.IPv6.length === 0)
    throw new IpRangesInvalid(
      `The ranges document (syncToken ${ranges.syncToken}) lists no range for products ${request.products.join(', ')} and direction ${request.directions.join(', ')}: refusing to empty the prefix list. Check the products and directions in the input.`,
    );
  const infos = await Promise.all(request.lists.map((l) => deps.prefixLists.describe(l.id)));
  for (const [i, info] of infos.entries()) {
    const want = request.lists[i]!;
    if (info.addressFamily !== want.family)
      throw new PrefixListUnusable(
        `Prefix list ${info.id} (${info.name}) is ${info.addressFamily}, but it is configured for the ${want.family} ranges. Fix the jiraPrefixListId params.`,
      );
    if (info.state.endsWith('-failed') || info.state.startsWith('delete') || info.state.startsWith('restore'))
      throw new PrefixListUnusable(
        `Prefix list ${info.id} is in state ${info.state}${info.stateMessage ? ` (${info.stateMessage})` : ''}: fix it in the VPC console, then run again.`,
      );
  }
  const allSynced = infos.every((info) => info.tags[SYNC_TOKEN_TAG] === ranges.syncToken);
  const unmanaged = (['IPv4', 'IPv6'] as const)
    .filter((family) => !request.lists.some((l) => l.family === family) && selected[family].length > 0)
    .map((family) => ({ family, count: selected[family].length }));
  const base = {
    syncToken: ranges.syncToken,
    creationDate: ranges.creationDate,
    rangesUrl: request.rangesUrl,
    unmanaged,
  };
  const lists: ListPlan[] = [];
  for (const [i, info] of infos.entries()) {
    const family = request.lists[i]!.family;
    const desired = selected[family];
    const skip = allSynced && !request.force;
    const current = skip ? [] : (await deps.prefixLists.entries(info.id)).map((e) => e.cidr);
    const have = new Set(current);
    const want = new Set(desired);
    const add = skip ? [] : desired.filter((c) => !have.has(c));
    const remove = skip ? [] : current.filter((c) => !want.has(c)).sort();
    lists.push({
      family,
      id: info.id,
      name: info.name,
      version: info.version,
      maxEntries: info.maxEntries,
      ...(info.tags[SYNC_TOKEN_TAG] ? { lastSyncToken: info.tags[SYNC_TOKEN_TAG] } : {}),
      currentCount: skip ? 0 : current.length,
      desired,
      add,
      remove,
      removalPercent: current.length ? Math.round((remove.length / current.length) * 1000) / 10 : 0,
    });
  }
  const changeId = nodeCrypto()
    .createHash('sha256')
    .update(JSON.stringify(lists.map((l) => [l.id, l.version, l.add, l.remove])))
    .digest('hex')
    .slice(0, 16);
  const changes = lists.some((l) => l.add.length + l.remove.length > 0);
  const over = lists.filter((l) => l.removalPercent > request.maxRemovalPercent);
  let action: PlanAction;
  let approvalReason: string | undefined;
  if (allSynced && !request.force) action = 'skip';
  else if (!changes) action = 'in-sync';
  else if (request.dryRun) action = 'dry-run';
  else if (over.length && request.approve !== changeId) {
    action = 'approval-required';
    approvalReason = over
      .map(
        (l) =>
          `${l.id} would lose ${l.remove.length} of ${l.currentCount} entries (${l.removalPercent}%, more than ${request.maxRemovalPercent}%)`,
      )
      .join('; ');
  } else action = 'apply';
  deps.log.info('jira prefix list plan', {
    action,
    syncToken: ranges.syncToken,
    changeId,
    lists: lists.map((l) => ({ id: l.id, version: l.version, add: l.add.length, remove: l.remove.length })),
  });
  return { action, ...base, changeId, lists, ...(approvalReason ? { approvalReason } : {}) };
}
