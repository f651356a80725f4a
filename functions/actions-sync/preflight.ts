import { githubAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { fetchGhesApi, ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { compareRefsAfterSync, preflight } from '../../shared/actions-sync/preflight.js';
import type { RefsSnapshot } from '../../shared/actions-sync/refs.js';
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
  async ({ request, phase, refsBefore, results }, deps) =>
    phase === 'compare-refs'
      ? await compareRefsAfterSync(
          request as ActionsSyncRequest,
          (refsBefore ?? {}) as RefsSnapshot,
          (results ?? []) as ActionResult[],
          deps,
        )
      : await preflight(request as ActionsSyncRequest, deps),
  { runner: ssmRunner, params: ssmParameters, ghesApi: fetchGhesApi },
  { config: githubAppSettings },
);
