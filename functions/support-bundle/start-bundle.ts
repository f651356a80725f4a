import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { SupportBundleRequest } from '../../shared/support-bundle/request.js';
import { startBundle } from '../../shared/support-bundle/run-bundle.js';

/** Starts the bundle generation and upload on the appliance; returns a handle to poll. */
export const handler = lambdaHandler(
  'supportBundleStart',
  (event) => stepEvent(event, ['request']),
  async ({ request }, deps) => startBundle(request as SupportBundleRequest, deps),
  { runner: ssmRunner },
);
