import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { startSync } from '../../shared/actions-sync/sync.js';
import type { ActionEntry } from '../../shared/actions-sync/list.js';
import type { ActionsSyncSettings } from '../../shared/actions-sync/request.js';

/** Starts one action's actions-sync call (its own cache directory); returns the command handle. */
export const handler = lambdaHandler(
  'actionsSyncStart',
  (event) => stepEvent(event, ['settings', 'action']),
  async ({ settings, action }, deps) =>
    startSync(settings as ActionsSyncSettings, action as ActionEntry, deps),
  { runner: ssmRunner },
);
