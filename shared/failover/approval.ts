import { describeProbe } from '../http/appliance-http.js';
import {
  approvalLinkPage,
  decide,
  discardApproval as discardGate,
  requestDecision,
  type ApprovalRequested,
  type LinkResponse,
  type DecisionInput as GateDecisionInput,
} from '../approval/gate.js';
import type { Deps } from '../runtime/deps.js';
import type { FailoverState } from './state.js';

export type { ApprovalDecision, ApprovalRequested, StoredApproval } from '../approval/gate.js';

/**
 * The failover's approval gate, on the shared operator wait (shared/approval/gate.ts): the summary
 * the approvers read, and the failover's names for the generic calls. Rejection ends the execution
 * with FailoverRejected, the timeout with ApprovalTimedOut; nothing is changed before either.
 */
export const APPROVAL_TIMEOUT_SECONDS = 1800;

export function trafficLine(request: FailoverState['request']): string {
  const t = request.traffic;
  return t.kind === 'route53'
    ? `Route 53 ${t.recordName} (TTL ${t.ttl}s)`
    : t.kind === 'loadBalancer'
      ? `target group ${t.targetGroupArn}`
      : `MANUAL: you switch ${t.hostname} to ${request.replica.address ?? request.replica.target} after the promotion`;
}

export async function requestApproval(
  taskToken: string,
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'mailer' | 'params'>,
): Promise<ApprovalRequested> {
  const { request, preflight, observers } = state;
  const lines = [
    `A ${request.mode.toUpperCase()} failover of GitHub Enterprise Server is waiting for your approval.`,
    '',
    `  promote:   ${request.replica.target} (replica) to primary`,
    `  old primary: ${request.primary.target}`,
    `  traffic:   ${trafficLine(request)}`,
    `  reason:    ${request.reason}`,
    `  trigger:   ${request.trigger.source === 'alarm' ? `alarm ${request.trigger.alarmName ?? ''} ${request.trigger.reason ?? ''}`.trim() : 'manual'}`,
    `  execution: ${request.execution.id}`,
  ];
  if (request.force) lines.push(`  FORCE:     replication health is ignored: ${request.force.reason}`);
  if (preflight) {
    lines.push(
      '',
      `Replication on ${request.replica.target} (${preflight.command}, exit code ${preflight.exitCode}):`,
    );
    lines.push(...preflight.channels.map((c) => `  ${c.line}`));
  }
  if (observers) {
    lines.push(
      '',
      'Primary down, seen by two observers:',
      `  https://${observers.http.host}/status: ${describeProbe(observers.http.probe)}`,
      `  runner: ${observers.runner.detail}`,
    );
  }
  return requestDecision(
    taskToken,
    {
      workflow: 'failover',
      kind: 'approval',
      executionName: request.execution.name,
      executionArn: request.execution.id,
      notify: request.notify,
      subject: `[ghes-ops] APPROVAL NEEDED: ${request.mode} failover ${request.primary.target} -> ${request.replica.target}`,
      summary: lines,
      question: `Approve the ${request.mode} failover: promote ${request.replica.target} and retire ${request.primary.target}?`,
      rejectError: 'FailoverRejected',
      timeoutSeconds: APPROVAL_TIMEOUT_SECONDS,
      onTimeout: 'nothing is changed',
    },
    deps,
  );
}

/** A failover decision: the gate's input for the failover workflow (an approval, never a confirmation). */
export type DecisionInput = Omit<GateDecisionInput, 'workflow' | 'expect'>;

/** Decides a failover's waiting approval (see `decide`). */
export async function decideApproval(
  input: DecisionInput,
  deps: Pick<Deps, 'clock' | 'config' | 'executions' | 'log' | 'params'>,
  opts: { trusted: boolean },
): Promise<{ decision: string; executionArn: string }> {
  return decide({ ...input, workflow: 'failover' }, deps, opts);
}

/** Removes a leftover approval or traffic confirmation (the execution failed, timed out or was rejected). */
export async function discardApproval(
  executionName: string,
  deps: Pick<Deps, 'config' | 'params'>,
): Promise<void> {
  await discardGate('failover', executionName, deps);
}

/** The failover's approval link page (see `approvalLinkPage`). */
export function approvalLink(
  method: string,
  executionName: string,
  query: URLSearchParams,
  body: string,
  deps: Pick<Deps, 'clock' | 'config' | 'executions' | 'log' | 'params'>,
): Promise<LinkResponse> {
  return approvalLinkPage(method, 'failover', executionName, query, body, deps);
}
