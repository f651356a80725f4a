import { lambdaHandler } from '../../shared/runtime/handler.js';
import { fetchGhesApi, ssmParameters, ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { preflight } from '../../shared/actions-sync/preflight.js';
import type { ActionsSyncRequest } from '../../shared/actions-sync/request.js';

/** Token scopes, organization ownership, host vs binary architecture, actions-sync version. */
export const handler = lambdaHandler(
  'actionsSyncPreflight',
  (event) => stepEvent(event, ['request']),
  async ({ request }, deps) => preflight(request as ActionsSyncRequest, deps),
  { runner: ssmRunner, params: ssmParameters, ghesApi: fetchGhesApi },
);
