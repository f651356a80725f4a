import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ec2PrefixLists } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { applyNextBatch, type ApplyProgress } from '../../shared/jira-prefix-list/apply.js';
import type { JiraPlan } from '../../shared/jira-prefix-list/plan.js';
import type { JiraPrefixListRequest } from '../../shared/jira-prefix-list/request.js';

/** One ModifyManagedPrefixList call (or none while the list is busy); the state machine loops. */
export const handler = lambdaHandler(
  'jiraPrefixListApply',
  (event) => stepEvent(event, ['request', 'plan', 'progress']),
  async ({ request, plan, progress }, deps) =>
    applyNextBatch(
      request as JiraPrefixListRequest,
      plan as JiraPlan,
      progress as Partial<ApplyProgress>,
      deps,
    ),
  { prefixLists: ec2PrefixLists },
);
