import { lambdaHandler } from '../../shared/runtime/handler.js';
import { ec2PrefixLists, fetchIpRanges } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { planPrefixLists } from '../../shared/jira-prefix-list/plan.js';
import type { JiraPrefixListRequest } from '../../shared/jira-prefix-list/request.js';

/** Fetches the ranges and reads every configured list (read-only); decides what to do. */
export const handler = lambdaHandler(
  'jiraPrefixListPlan',
  (event) => stepEvent(event, ['request']),
  async ({ request }, deps) => planPrefixLists(request as JiraPrefixListRequest, deps),
  { ipRanges: fetchIpRanges, prefixLists: ec2PrefixLists },
);
