import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ssmRunner } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { attachReplicationStatus } from '../../shared/support-bundle/attach-replication.js';
import type { SupportBundleRequest } from '../../shared/support-bundle/request.js';

/** Uploads `ghe-repl-status -vv` from the replica to the same ticket. */
export const handler = lambdaHandler(
  'supportBundleAttachReplication',
  (event) => stepEvent(event, ['request']),
  async ({ request }, deps) => attachReplicationStatus(request as SupportBundleRequest, deps),
  { runner: ssmRunner },
);
