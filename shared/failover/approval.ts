import { formatDuration, sendNotification } from '../mail/notify.js';
import type { Deps } from '../runtime/deps.js';
import { describeProbe } from '../http/appliance-http.js';
import { ApprovalNotFound } from './errors.js';
import { failoverParams, iso } from './names.js';
import type { FailoverState } from './state.js';

/**
 * The approval gate (callback pattern). `requestApproval` runs in a `.waitForTaskToken` task: it
 * keeps the task token in the parameter store (SecureString, never in an email, a URL or a log),
 * and emails the approvers a summary, a one-time approval code link and the CLI commands. The
 * execution waits until `decideApproval` sends the decision, or the state's TimeoutSeconds.
 *
 * Link security: the link carries a random code, not the token; only the code's SHA-256 is
 * stored. GET only shows a confirmation page (mail scanners that follow links approve nothing);
 * the decision is a POST carrying the code, compared in constant time, single use (the stored
 * approval is deleted before the decision is sent) and useless after the approval timeout.
 * Whoever holds the email can decide: send it to the people allowed to approve a failover.
 */
const APPROVAL_TIMEOUT_SECONDS = 1800;

export interface StoredApproval {
  token: string;
  codeHash: string;
  executionArn: string;
  requestedAt: string;
  expiresAt: string;
}

export interface ApprovalDecision {
  approved: true;
  by: string;
  reason?: string;
  via: 'link' | 'cli';
  at: string;
}

export interface ApprovalRequested {
  requestedAt: string;
  expiresAt: string;
  link: boolean;
  notified: boolean;
}

/** node:crypto is loaded on first use: it is the heaviest import of the approval functions' cold start. */
const crypto = () => import('node:crypto');
const sha256 = async (s: string): Promise<string> =>
  (await crypto()).createHash('sha256').update(s).digest('hex');

/** Where approval links point: the HTTP API in AWS, the local stack's loopback server locally. */
function approvalBaseUrl(): string | undefined {
  const url = process.env.GHES_OPS_APPROVAL_URL?.trim();
  return url ? url.replace(/\/$/, '') : undefined;
}

function approvalPath(executionName: string): string {
  return `/failover/approvals/${encodeURIComponent(executionName)}`;
}

export async function requestApproval(
  taskToken: string,
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'mailer' | 'params'>,
): Promise<ApprovalRequested> {
  const { request, preflight, observers } = state;
  const now = deps.clock.now();
  const code = (await crypto()).randomBytes(24).toString('base64url');
  const stored: StoredApproval = {
    token: taskToken,
    codeHash: await sha256(code),
    executionArn: request.execution.id,
    requestedAt: iso(now),
    expiresAt: iso(now + APPROVAL_TIMEOUT_SECONDS * 1000),
  };
  await deps.params.put(
    failoverParams(deps.config).approval(request.execution.name),
    JSON.stringify(stored),
    { secure: true, overwrite: true },
  );
  const base = approvalBaseUrl();
  const link = base ? `${base}${approvalPath(request.execution.name)}?code=${code}` : undefined;
  const lines = [
    `A ${request.mode.toUpperCase()} failover of GitHub Enterprise Server is waiting for your approval.`,
    '',
    `  promote:   ${request.replica.target} (replica) to primary`,
    `  old primary: ${request.primary.target}`,
    `  traffic:   ${request.traffic.kind === 'route53' ? `Route 53 ${request.traffic.recordName} (TTL ${request.traffic.ttl}s)` : `target group ${request.traffic.targetGroupArn}`}`,
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
  lines.push(
    '',
    `Decide within ${formatDuration(APPROVAL_TIMEOUT_SECONDS)} (until ${stored.expiresAt}); without a decision nothing is changed.`,
    '',
  );
  if (link) lines.push(`Approve or reject (opens a confirmation page; the link works once): ${link}`, '');
  lines.push(
    'Or from a shell:',
    `  ghes-ops approve ${request.execution.name} --reason "..."`,
    `  ghes-ops reject ${request.execution.name} --reason "..."`,
    '',
    '-- ghes-ops failover workflow',
  );
  const sent = await sendNotification(
    request.notify,
    {
      subject: `[ghes-ops] APPROVAL NEEDED: ${request.mode} failover ${request.primary.target} -> ${request.replica.target}`,
      text: lines.join('\n'),
    },
    deps,
  );
  deps.log.info('failover approval requested', { execution: request.execution.name, link: Boolean(link) });
  return {
    requestedAt: stored.requestedAt,
    expiresAt: stored.expiresAt,
    link: Boolean(link),
    notified: sent.sent,
  };
}

export interface DecisionInput {
  executionName: string;
  decision: 'approve' | 'reject';
  by: string;
  reason?: string;
  /** The link's code; required unless `trusted` (CLI with access to the stack). */
  code?: string;
  via: 'link' | 'cli';
}

/** Sends the decision to the waiting execution. Throws `ApprovalNotFound` for an unknown, used, expired or wrong-code approval. */
export async function decideApproval(
  input: DecisionInput,
  deps: Pick<Deps, 'clock' | 'config' | 'executions' | 'log' | 'params'>,
  opts: { trusted: boolean },
): Promise<{ decision: string; executionArn: string }> {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(input.executionName))
    throw new ApprovalNotFound('No such approval: the execution name is not valid.');
  const name = failoverParams(deps.config).approval(input.executionName);
  const text = await deps.params.get(name);
  const nope = new ApprovalNotFound(
    `No approval is waiting for execution ${input.executionName}: it was already decided, it expired, the execution ended, or the code is wrong.`,
  );
  if (!text) throw nope;
  const stored = JSON.parse(text) as StoredApproval;
  if (!opts.trusted) {
    const given = Buffer.from(await sha256(input.code ?? ''), 'hex');
    const want = Buffer.from(stored.codeHash, 'hex');
    if (given.length !== want.length || !(await crypto()).timingSafeEqual(given, want)) throw nope;
  }
  if (Date.parse(stored.expiresAt) < deps.clock.now()) {
    await deps.params.delete(name);
    throw nope;
  }
  await deps.params.delete(name);
  const by = input.by.replace(/[^\x20-\x7e]/g, '').slice(0, 100) || 'unknown';
  const reason = input.reason?.replace(/[^\x20-\x7e]/g, ' ').slice(0, 500);
  if (input.decision === 'approve') {
    const decision: ApprovalDecision = {
      approved: true,
      by,
      ...(reason ? { reason } : {}),
      via: input.via,
      at: iso(deps.clock.now()),
    };
    await deps.executions.sendTaskSuccess(stored.token, decision);
  } else {
    await deps.executions.sendTaskFailure(
      stored.token,
      'FailoverRejected',
      `Rejected by ${by} (${input.via})${reason ? `: ${reason}` : ''}. Nothing was changed.`,
    );
  }
  deps.log.info('failover approval decided', {
    execution: input.executionName,
    decision: input.decision,
    via: input.via,
  });
  return { decision: input.decision, executionArn: stored.executionArn };
}

/** Removes a leftover approval (the execution failed, timed out or was rejected). */
export async function discardApproval(
  executionName: string,
  deps: Pick<Deps, 'config' | 'params'>,
): Promise<void> {
  await deps.params.delete(failoverParams(deps.config).approval(executionName));
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface LinkResponse {
  status: number;
  html: string;
}

/**
 * The approval link's page. GET shows the question and two buttons, and changes nothing; POST
 * (`decision`, `code`, optional `name` and `reason`, form-encoded) decides.
 */
export async function approvalLink(
  method: string,
  executionName: string,
  query: URLSearchParams,
  body: string,
  deps: Pick<Deps, 'clock' | 'config' | 'executions' | 'log' | 'params'>,
): Promise<LinkResponse> {
  const page = (status: number, title: string, inner: string): LinkResponse => ({
    status,
    html: `<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${inner}</body></html>`,
  });
  if (method === 'GET') {
    const code = query.get('code') ?? '';
    const form = (decision: string, label: string): string =>
      `<form method="post"><input type="hidden" name="code" value="${escapeHtml(code)}"><input type="hidden" name="decision" value="${decision}">` +
      `<label>Your name <input name="name" maxlength="100"></label> <label>Reason <input name="reason" maxlength="500"></label> <button type="submit">${label}</button></form>`;
    return page(
      200,
      `Failover ${executionName}`,
      `<p>Approve or reject the failover of execution <code>${escapeHtml(executionName)}</code>? Nothing happens until you press a button.</p>${form('approve', 'Approve failover')}${form('reject', 'Reject')}`,
    );
  }
  if (method !== 'POST') return page(405, 'Method not allowed', '');
  const form = new URLSearchParams(body);
  const decision = form.get('decision');
  if (decision !== 'approve' && decision !== 'reject')
    return page(400, 'Bad request', '<p>decision must be approve or reject.</p>');
  try {
    await decideApproval(
      {
        executionName,
        decision,
        code: form.get('code') ?? '',
        by: form.get('name') || 'approval link',
        reason: form.get('reason') ?? undefined,
        via: 'link',
      },
      deps,
      { trusted: false },
    );
    return page(
      200,
      decision === 'approve' ? 'Failover approved' : 'Failover rejected',
      `<p>The execution <code>${escapeHtml(executionName)}</code> goes on. You can close this page.</p>`,
    );
  } catch (error) {
    if ((error as Error).name === 'ApprovalNotFound')
      return page(404, 'No such approval', `<p>${escapeHtml((error as Error).message)}</p>`);
    throw error;
  }
}
