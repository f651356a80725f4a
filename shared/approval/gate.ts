import { GhesOpsError } from '../errors.js';
import { formatDuration, sendNotification } from '../mail/notify.js';
import type { Deps } from '../runtime/deps.js';

/**
 * The operator wait (Step Functions callback pattern), for every workflow that pauses for a person:
 * the failover's approval, the failover's manual traffic switch, a large Jira prefix-list removal,
 * the TLS `ghe-ssl-acme -x` recovery. The step that requests it runs in a `.waitForTaskToken` task:
 * `requestDecision` keeps the task token in the parameter store (SecureString, never in an email, a
 * URL, a log or an execution's output) under `<prefix>/<workflow>/approvals/<execution>`, and
 * emails a summary, a one-time link and the CLI commands. The execution waits until
 * `decide` sends the decision, or until the state's TimeoutSeconds (nothing changes then).
 *
 * Link security: the link carries a random code, not the token; only the code's SHA-256 is stored.
 * GET only shows a confirmation page (mail scanners that follow links decide nothing); the decision
 * is a POST carrying the code, compared in constant time, single use (the stored approval is deleted
 * before the decision is sent) and useless after the timeout. Whoever holds the email can decide:
 * send it to the people allowed to decide.
 */

/** The workflows that wait for an operator; the link route and the CLI accept only these. */
export const APPROVAL_WORKFLOWS = ['failover', 'jira-prefix-list', 'tls-certificate'] as const;
export type ApprovalWorkflow = (typeof APPROVAL_WORKFLOWS)[number];

/** `approval`: go on with an irreversible change, or not. `confirmation`: the operator says a manual step is done. */
export type GateKind = 'approval' | 'confirmation';

/** The link or CLI call could not be matched to a waiting approval. */
export class ApprovalNotFound extends GhesOpsError {
  readonly name = 'ApprovalNotFound';
}

export interface StoredApproval {
  token: string;
  codeHash: string;
  executionArn: string;
  requestedAt: string;
  expiresAt: string;
  /** Absent in approvals stored before the gate was generalized: an approval. */
  kind?: GateKind;
  /** The error the execution gets on "reject" (e.g. FailoverRejected). */
  rejectError?: string;
  /** One line shown on the confirmation page to the holder of the code (no secret). */
  question?: string;
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

/** What a workflow asks: the gate builds the parameter, the link, the CLI lines and the mail around it. */
export interface DecisionRequest {
  workflow: ApprovalWorkflow;
  kind: GateKind;
  executionName: string;
  executionArn: string;
  notify: string[];
  subject: string;
  /** The mail's body above the "decide" part: what is asked and what was found. */
  summary: string[];
  /** One line for the confirmation page, e.g. "Apply the prefix list change 3f2a...?". */
  question: string;
  rejectError: string;
  timeoutSeconds: number;
  /** What happens without a decision (mail text), e.g. "nothing is changed". */
  onTimeout: string;
}

/** node:crypto is loaded on first use: it is the heaviest import of the approval functions' cold start. */
const crypto = () => import('node:crypto');
const sha256 = async (s: string): Promise<string> =>
  (await crypto()).createHash('sha256').update(s).digest('hex');
const iso = (ms: number): string => new Date(ms).toISOString();

export const isApprovalWorkflow = (w: string): w is ApprovalWorkflow =>
  (APPROVAL_WORKFLOWS as readonly string[]).includes(w);

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Parameter store name of one execution's waiting decision (SecureString). */
export function approvalParam(
  config: Pick<Deps['config'], 'parameterPrefix'>,
  workflow: ApprovalWorkflow,
  executionName: string,
): string {
  return `${config.parameterPrefix.replace(/\/$/, '')}/${workflow}/approvals/${executionName}`;
}

/** Where approval links point: the HTTP API in AWS, the local stack's loopback server locally. */
function approvalBaseUrl(): string | undefined {
  const url = process.env.GHES_OPS_APPROVAL_URL?.trim();
  return url ? url.replace(/\/$/, '') : undefined;
}

/** The link route (serverless.yml `/{workflow}/approvals/{execution}`). */
export const approvalPath = (workflow: ApprovalWorkflow, executionName: string): string =>
  `/${workflow}/approvals/${encodeURIComponent(executionName)}`;

/** The CLI lines of a gate: `ghes-ops approve|reject`, or `ghes-ops confirm-traffic` for a confirmation. */
export function cliLines(kind: GateKind, executionName: string): string[] {
  return kind === 'confirmation'
    ? [
        `  ghes-ops confirm-traffic ${executionName}            (done: traffic goes to the new primary)`,
        `  ghes-ops confirm-traffic ${executionName} --failed --reason "..."   (cannot be done)`,
      ]
    : [
        `  ghes-ops approve ${executionName} --reason "..."`,
        `  ghes-ops reject ${executionName} --reason "..."`,
      ];
}

export async function requestDecision(
  taskToken: string,
  ask: DecisionRequest,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'mailer' | 'params'>,
): Promise<ApprovalRequested> {
  if (!EXECUTION_NAME.test(ask.executionName))
    throw new ApprovalNotFound(
      `The execution name ${JSON.stringify(ask.executionName)} cannot carry an approval.`,
    );
  const now = deps.clock.now();
  const code = (await crypto()).randomBytes(24).toString('base64url');
  const stored: StoredApproval = {
    token: taskToken,
    codeHash: await sha256(code),
    executionArn: ask.executionArn,
    requestedAt: iso(now),
    expiresAt: iso(now + ask.timeoutSeconds * 1000),
    kind: ask.kind,
    rejectError: ask.rejectError,
    question: ask.question,
  };
  await deps.params.put(approvalParam(deps.config, ask.workflow, ask.executionName), JSON.stringify(stored), {
    secure: true,
    overwrite: true,
  });
  const base = approvalBaseUrl();
  const link = base ? `${base}${approvalPath(ask.workflow, ask.executionName)}?code=${code}` : undefined;
  const verb = ask.kind === 'confirmation' ? 'Confirm' : 'Decide';
  const lines = [
    ...ask.summary,
    '',
    `${verb} within ${formatDuration(ask.timeoutSeconds)} (until ${stored.expiresAt}); without an answer ${ask.onTimeout}.`,
    '',
  ];
  if (link)
    lines.push(
      `${ask.kind === 'confirmation' ? 'Confirm' : 'Approve or reject'} (opens a confirmation page; the link works once): ${link}`,
      '',
    );
  lines.push(
    'Or from a shell:',
    ...cliLines(ask.kind, ask.executionName),
    '',
    `-- ghes-ops ${ask.workflow} workflow`,
  );
  const sent = await sendNotification(ask.notify, { subject: ask.subject, text: lines.join('\n') }, deps);
  deps.log.info('operator decision requested', {
    workflow: ask.workflow,
    kind: ask.kind,
    execution: ask.executionName,
    link: Boolean(link),
  });
  return {
    requestedAt: stored.requestedAt,
    expiresAt: stored.expiresAt,
    link: Boolean(link),
    notified: sent.sent,
  };
}

export interface DecisionInput {
  workflow: ApprovalWorkflow;
  executionName: string;
  decision: 'approve' | 'reject';
  by: string;
  reason?: string;
  /** The link's code; required unless `trusted` (CLI with access to the stack). */
  code?: string;
  via: 'link' | 'cli';
  /** The kind the caller means (`ghes-ops confirm-traffic` must not approve a failover, nor the reverse). */
  expect?: GateKind;
}

async function readStored(
  workflow: string,
  executionName: string,
  deps: Pick<Deps, 'config' | 'params'>,
): Promise<{ name: string; stored: StoredApproval } | undefined> {
  if (!isApprovalWorkflow(workflow) || !EXECUTION_NAME.test(executionName)) return undefined;
  const name = approvalParam(deps.config, workflow, executionName);
  const text = await deps.params.get(name);
  return text ? { name, stored: JSON.parse(text) as StoredApproval } : undefined;
}

async function codeMatches(stored: StoredApproval, code: string | undefined): Promise<boolean> {
  const given = Buffer.from(await sha256(code ?? ''), 'hex');
  const want = Buffer.from(stored.codeHash, 'hex');
  return given.length === want.length && (await crypto()).timingSafeEqual(given, want);
}

const printable = (s: string, max: number, fill: string): string =>
  s.replace(/[^\x20-\x7e]/g, fill).slice(0, max);

/** Sends the decision to the waiting execution. Throws `ApprovalNotFound` for an unknown, used, expired or wrong-code approval. */
export async function decide(
  input: DecisionInput,
  deps: Pick<Deps, 'clock' | 'config' | 'executions' | 'log' | 'params'>,
  opts: { trusted: boolean },
): Promise<{ decision: string; executionArn: string; kind: GateKind }> {
  const nope = new ApprovalNotFound(
    `No ${input.workflow} approval is waiting for execution ${input.executionName}: it was already decided, it expired, the execution ended, or the code is wrong.`,
  );
  const found = await readStored(input.workflow, input.executionName, deps);
  if (!found) throw nope;
  const { name, stored } = found;
  if (!opts.trusted && !(await codeMatches(stored, input.code))) throw nope;
  const kind = stored.kind ?? 'approval';
  if (input.expect && input.expect !== kind)
    throw new ApprovalNotFound(
      kind === 'confirmation'
        ? `Execution ${input.executionName} waits for the traffic switch to be confirmed, not for an approval: use \`ghes-ops confirm-traffic ${input.executionName}\`.`
        : `Execution ${input.executionName} waits for an approval, not for a traffic confirmation: use \`ghes-ops approve|reject ${input.executionName}\`.`,
    );
  await deps.params.delete(name);
  if (Date.parse(stored.expiresAt) < deps.clock.now()) throw nope;
  const by = printable(input.by, 100, '') || 'unknown';
  const reason = input.reason === undefined ? undefined : printable(input.reason, 500, ' ');
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
    const what = kind === 'confirmation' ? 'Reported as not done' : 'Rejected';
    await deps.executions.sendTaskFailure(
      stored.token,
      stored.rejectError ?? 'ApprovalRejected',
      `${what} by ${by} (${input.via})${reason ? `: ${reason}` : ''}.`,
    );
  }
  deps.log.info('operator decision sent', {
    workflow: input.workflow,
    execution: input.executionName,
    decision: input.decision,
    via: input.via,
  });
  return { decision: input.decision, executionArn: stored.executionArn, kind };
}

/** Removes a leftover approval (the execution failed, timed out or was rejected). */
export async function discardApproval(
  workflow: ApprovalWorkflow,
  executionName: string,
  deps: Pick<Deps, 'config' | 'params'>,
): Promise<void> {
  await deps.params.delete(approvalParam(deps.config, workflow, executionName));
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface LinkResponse {
  status: number;
  html: string;
}

const TITLES: Record<GateKind, { ask: string; yes: string; no: string; done: [string, string] }> = {
  approval: { ask: 'Approval', yes: 'Approve', no: 'Reject', done: ['Approved', 'Rejected'] },
  confirmation: {
    ask: 'Confirmation',
    yes: 'Traffic is switched',
    no: 'Cannot switch traffic',
    done: ['Confirmed', 'Reported as not done'],
  },
};

/**
 * The link's page. GET with the right code shows the question and two buttons, and changes nothing
 * (a wrong code shows "no such approval", so the page says nothing to whoever guesses names); POST
 * (`decision`, `code`, optional `name` and `reason`, form-encoded) decides.
 */
export async function approvalLinkPage(
  method: string,
  workflow: string,
  executionName: string,
  query: URLSearchParams,
  body: string,
  deps: Pick<Deps, 'clock' | 'config' | 'executions' | 'log' | 'params'>,
): Promise<LinkResponse> {
  const page = (status: number, title: string, inner: string): LinkResponse => ({
    status,
    html: `<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${inner}</body></html>`,
  });
  const missing = (message: string): LinkResponse =>
    page(404, 'No such approval', `<p>${escapeHtml(message)}</p>`);
  const notWaiting = `Nothing is waiting for execution ${executionName}: it was already decided, it expired, the execution ended, or the code is wrong.`;
  if (method === 'GET') {
    const code = query.get('code') ?? '';
    const found = await readStored(workflow, executionName, deps);
    if (
      !found ||
      !(await codeMatches(found.stored, code)) ||
      Date.parse(found.stored.expiresAt) < deps.clock.now()
    )
      return missing(notWaiting);
    const t = TITLES[found.stored.kind ?? 'approval'];
    const form = (decision: string, label: string): string =>
      `<form method="post"><input type="hidden" name="code" value="${escapeHtml(code)}"><input type="hidden" name="decision" value="${decision}">` +
      `<label>Your name <input name="name" maxlength="100"></label> <label>Reason <input name="reason" maxlength="500"></label> <button type="submit">${escapeHtml(label)}</button></form>`;
    return page(
      200,
      `${t.ask}: ${workflow} ${executionName}`,
      `<p>${escapeHtml(found.stored.question ?? `Approve or reject execution ${executionName}?`)}</p><p>Nothing happens until you press a button (until ${escapeHtml(found.stored.expiresAt)}).</p>${form('approve', t.yes)}${form('reject', t.no)}`,
    );
  }
  if (method !== 'POST') return page(405, 'Method not allowed', '');
  if (!isApprovalWorkflow(workflow)) return missing(notWaiting);
  const form = new URLSearchParams(body);
  const decision = form.get('decision');
  if (decision !== 'approve' && decision !== 'reject')
    return page(400, 'Bad request', '<p>decision must be approve or reject.</p>');
  try {
    const done = await decide(
      {
        workflow,
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
    const t = TITLES[done.kind];
    return page(
      200,
      `${decision === 'approve' ? t.done[0] : t.done[1]}: ${workflow} ${executionName}`,
      `<p>The execution <code>${escapeHtml(executionName)}</code> goes on. You can close this page.</p>`,
    );
  } catch (error) {
    if (error instanceof ApprovalNotFound) return missing(error.message);
    throw error;
  }
}
