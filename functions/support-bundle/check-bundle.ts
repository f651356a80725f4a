import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { SupportBundleRequest } from '../../shared/support-bundle/request.js';
import { checkBundle, type BundleProgress } from '../../shared/support-bundle/run-bundle.js';

/** One poll of the running bundle (the state machine waits between polls). */
export const handler = lambdaHandler(
  'supportBundleCheck',
  (event) => stepEvent(event, ['request', 'bundle']),
  async ({ request, bundle }, deps) =>
    checkBundle(request as SupportBundleRequest, bundle as BundleProgress, deps),
  { runner: ssmRunner },
);
