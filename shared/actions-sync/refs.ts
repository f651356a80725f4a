import { nodeCrypto } from '../runtime/builtins.js';
import type { Deps } from '../runtime/deps.js';
import type { ActionEntry } from './list.js';
import type { ActionsSyncRequest } from './request.js';
import type { ActionResult } from './sync.js';

/**
 * "Updated" or "unchanged" is told from the destination repository's refs, read before the sync
 * (in the preflight) and after it (CompareRefs), through the GHES REST API
 * (`GET /repos/{owner}/{repo}/git/matching-refs/`, every ref, 100 a page): actions-sync prints
 * `Existing repo ...` then `... successfully synced ...` whether or not anything changed.
 */
export interface RefsSeen {
  state: 'absent' | 'present' | 'unreadable';
  /** Number of refs (present). */
  refs?: number;
  /** sha256 (16 hex) of the sorted `ref sha` lines (present). */
  digest?: string;
  /** Why it could not be read (unreadable). */
  detail?: string;
}

/** Destination (lower case `owner/repo`) -> what its refs were. */
export type RefsSnapshot = Record<string, RefsSeen>;

const PER_PAGE = 100;
const MAX_PAGES = 50;
const PARALLEL = 8;

interface GitRef {
  ref?: unknown;
  object?: { sha?: unknown };
}

export async function readRefs(
  deps: Pick<Deps, 'ghesApi'>,
  url: string,
  token: string,
  destination: string,
): Promise<RefsSeen> {
  const lines: string[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    let res;
    try {
      res = await deps.ghesApi.get(
        url,
        `/repos/${destination}/git/matching-refs/?per_page=${PER_PAGE}&page=${page}`,
        token,
      );
    } catch (error) {
      return { state: 'unreadable', detail: (error as Error).message.slice(0, 200) };
    }
    if (res.status === 404) return { state: 'absent' };
    // An empty repository: "409 Git Repository is empty."
    if (res.status === 409) break;
    if (res.status !== 200 || !Array.isArray(res.body))
      return { state: 'unreadable', detail: `HTTP ${res.status}` };
    for (const r of res.body as GitRef[]) {
      if (typeof r?.ref === 'string' && typeof r.object?.sha === 'string')
        lines.push(`${r.ref} ${r.object.sha}`);
    }
    if (res.body.length < PER_PAGE) break;
  }
  lines.sort();
  const digest = nodeCrypto().createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
  return { state: 'present', refs: lines.length, digest };
}

/** The refs of every action's destination, a few requests at a time. */
export async function snapshotRefs(
  actions: readonly ActionEntry[],
  url: string,
  token: string,
  deps: Pick<Deps, 'ghesApi'>,
): Promise<RefsSnapshot> {
  const out: RefsSnapshot = {};
  const queue = [...new Set(actions.map((a) => a.destination.toLowerCase()))];
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
      for (let dest = queue.shift(); dest !== undefined; dest = queue.shift())
        out[dest] = await readRefs(deps, url, token, dest);
    }),
  );
  return out;
}

/** What the refs say about one finished call (exit 0). */
export function refsOutcome(
  before: RefsSeen | undefined,
  after: RefsSeen,
): { outcome: 'synced' | 'unchanged'; refs: string } {
  if (!before || before.state === 'unreadable' || after.state !== 'present') {
    const why = !before
      ? 'not read before'
      : before.state === 'unreadable'
        ? `before: ${before.detail}`
        : `after: ${after.state === 'absent' ? 'repository not found' : after.detail}`;
    return { outcome: 'synced', refs: `not compared (${why})` };
  }
  if (before.state === 'absent') return { outcome: 'synced', refs: `created (${after.refs} refs)` };
  if (before.digest === after.digest) return { outcome: 'unchanged', refs: `${after.refs} refs unchanged` };
  return { outcome: 'synced', refs: `refs updated (${before.refs} before, ${after.refs} after)` };
}

/** A Map item caught after its retries (kept as it is). */
interface CaughtItem {
  action: string;
  outcome: 'failed';
  error: unknown;
}

/**
 * After the sync: reads every destination's refs again and decides each successful call's outcome
 * from the difference. Failed actions are left as they are.
 */
export async function compareRefs(
  request: ActionsSyncRequest,
  token: string,
  before: RefsSnapshot,
  results: readonly (ActionResult | CaughtItem)[],
  deps: Pick<Deps, 'ghesApi' | 'log'>,
): Promise<(ActionResult | CaughtItem)[]> {
  const done = request.actions.filter((a) =>
    results.some((r) => r.action === a.name && r.outcome !== 'failed'),
  );
  const after = await snapshotRefs(done, request.destinationUrl, token, deps);
  const byName = new Map(request.actions.map((a) => [a.name, a.destination.toLowerCase()]));
  return results.map((r) => {
    if (r.outcome === 'failed' || 'error' in r) return r;
    const dest = byName.get(r.action) ?? '';
    const seen = refsOutcome(before[dest], after[dest] ?? { state: 'unreadable', detail: 'not read' });
    return { ...r, ...seen };
  });
}
