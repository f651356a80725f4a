import { lambdaHandler } from '../../shared/runtime/handler.js';
import { fetchGhesApi, ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { preflight } from '../../shared/actions-sync/preflight.js';
import { compareRefs, type RefsSnapshot } from '../../shared/actions-sync/refs.js';
import { destinationToken } from '../../shared/actions-sync/credentials.js';
import type { ActionsSyncRequest } from '../../shared/actions-sync/request.js';
import type { ActionResult } from '../../shared/actions-sync/sync.js';

/**
 * Token scopes, organization ownership, host vs binary architecture, actions-sync version, and
 * the destinations' refs before the sync. With `phase: "compare-refs"` (the CompareRefs state,
 * after the sync): the refs again, deciding updated or unchanged per action. The one function
 * that may read the destination token, so the sync steps never can.
 */
export const handler = lambdaHandler(
  'actionsSyncPreflight',
  (event) => stepEvent(event, ['request']),
  async ({ request, phase, refsBefore, results }, deps) => {
    const req = request as ActionsSyncRequest;
    if (phase !== 'compare-refs') return preflight(req, deps);
    const token = await destinationToken(req, deps);
    return compareRefs(
      req,
      token,
      (refsBefore ?? {}) as RefsSnapshot,
      (results ?? []) as ActionResult[],
      deps,
    );
  },
  { runner: ssmRunner, params: ssmParameters, ghesApi: fetchGhesApi },
);
