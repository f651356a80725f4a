import { requestDecision, type ApprovalRequested } from '../approval/gate.js';
import type { Deps } from '../runtime/deps.js';
import { TrafficSwitchFailed } from './errors.js';
import { recordType } from './request.js';
import type { FailoverState } from './state.js';

/**
 * Manual traffic (`traffic: {"manual": {"hostname"}}`), for sites whose DNS or load balancer is not
 * in AWS. After the promotion is confirmed, the workflow asks the operator (mail with the exact
 * record, link, CLI) to point the hostname at the new primary, and waits on the shared operator
 * wait (kind `confirmation`) for `ghes-ops confirm-traffic <execution>` or the link. Then
 * CheckTraffic polls `https://<hostname>/status` until the new primary answers 200. A timeout of
 * the wait, or "cannot switch", ends as PromotedButTrafficNotSwitched: the loud mail says the
 * promotion happened and traffic was NOT confirmed.
 */
export const TRAFFIC_CONFIRM_TIMEOUT_SECONDS = 3600;

export async function requestTrafficSwitch(
  taskToken: string,
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'mailer' | 'params'>,
): Promise<ApprovalRequested> {
  const { request } = state;
  const t = request.traffic;
  if (t.kind !== 'manual')
    throw new TrafficSwitchFailed('The traffic confirmation is only asked for manual traffic.');
  if (state.promotionCheck?.state !== 'succeeded')
    throw new TrafficSwitchFailed(
      'Refusing to ask for the traffic switch: the promotion is not confirmed as succeeded.',
    );
  const address = request.replica.address!;
  const type = recordType(address);
  const summary = [
    `ACTION NEEDED NOW: ${request.replica.target} has been PROMOTED to primary; users still reach the old primary ${request.primary.target}${request.mode === 'planned' ? ' (in maintenance mode)' : ' (down)'} through ${t.hostname}.`,
    '',
    'Switch traffic to the new primary, in your DNS or load balancer (it is not in AWS, so ghes-ops cannot):',
    `  name:    ${t.hostname}`,
    `  record:  ${type} ${address}${type === 'A' ? '' : ' (CNAME target)'}`,
    `           (or: the load balancer behind ${t.hostname} sends HTTPS and SSH to ${address} only)`,
    `  remove:  what points at the old primary ${request.primary.address ?? request.primary.target}`,
    '',
    `Then confirm below. ghes-ops then polls https://${t.hostname}/status until the new primary answers 200.`,
    `Do NOT bring ${request.primary.target} back as a primary: two primaries would split the brain.`,
    '',
    `  execution: ${request.execution.id}`,
  ];
  return requestDecision(
    taskToken,
    {
      workflow: 'failover',
      kind: 'confirmation',
      executionName: request.execution.name,
      executionArn: request.execution.id,
      notify: request.notify,
      subject: `[ghes-ops] ACTION NEEDED: switch ${t.hostname} to ${address} (${request.replica.target} promoted)`,
      summary,
      question: `Is ${t.hostname} switched to the new primary ${request.replica.target} (${type} ${address})?`,
      rejectError: 'TrafficNotSwitched',
      timeoutSeconds: TRAFFIC_CONFIRM_TIMEOUT_SECONDS,
      onTimeout:
        'the execution ends as PromotedButTrafficNotSwitched (the promotion stays; traffic is not confirmed)',
    },
    deps,
  );
}
