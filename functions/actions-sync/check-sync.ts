import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { checkSync } from '../../shared/actions-sync/sync.js';
import type { ActionEntry } from '../../shared/actions-sync/list.js';
import type { CommandHandle } from '../../shared/appliance/runner.js';

/** One poll of an action's call: running, or its result; a transient failure throws ActionsSyncTransient. */
export const handler = lambdaHandler(
  'actionsSyncCheck',
  (event) => stepEvent(event, ['action', 'handle']),
  async ({ action, handle }, deps) => checkSync(action as ActionEntry, handle as CommandHandle, deps),
  { runner: ssmRunner },
);
