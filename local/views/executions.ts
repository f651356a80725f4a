import { causeMessage } from '../../shared/errors.js';
import { redact } from '../../shared/logger.js';
import type { ExecutionDescription, PendingTask } from '../engine/local-engine.js';
import type { HistoryEvent } from '../engine/history.js';

/**
 * The executions as the console and the CLI show them (`ghes-ops executions`, `ghes-ops execution`):
 * one place that turns the engine's store (descriptions, histories, pending callback tasks) into
 * views. Task tokens and anything under a secret-looking key are masked (shared/logger `redact`):
 * a token is a capability, and no view needs it.
 */

/** What the views read: the local engine (a running stack's), or any store with the same calls. */
export interface ExecutionStore {
  listExecutions(): ExecutionDescription[];
  describeExecution(executionArn: string): ExecutionDescription;
  getExecutionHistory(executionArn: string): HistoryEvent[];
  listPendingTasks(executionArn?: string): PendingTask[];
}

/** The operator waits (shared/approval/gate.ts): a pending task in one of these states is an approval to decide. */
export const APPROVAL_STATES: readonly string[] = ['RequestApproval', 'RequestRecoveryApproval'];
/** The failover's manual traffic switch, waiting for the operator to confirm it. */
export const TRAFFIC_STATE = 'ConfirmTrafficSwitch';

/** Time fields of an execution: workflow (engine clock) time and wall-clock time. */
export interface ExecutionTimes {
  /** Workflow time (the engine's clock, faster than real time on the sandbox). */
  startDate: string;
  stopDate?: string;
  /** Wall-clock time, when the store records it. */
  startedAt?: string;
  stoppedAt?: string;
}

export interface ExecutionSummary extends ExecutionTimes {
  workflow: string;
  name: string;
  executionArn: string;
  status: string;
  error?: string;
  /** The state it is in now (running executions), from its history. */
  currentState?: string;
  /** Waiting for an approval decision (failover, jira-prefix-list, tls-certificate). */
  waitingForApproval: boolean;
  /** A failover with manual traffic waiting for the operator to confirm the switch. */
  waitingForTraffic: boolean;
}

export type StateStatus = 'not-run' | 'running' | 'waiting' | 'retrying' | 'succeeded' | 'failed' | 'caught';

export interface StateView {
  name: string;
  type?: string;
  status: StateStatus;
  /** How many times it was entered (loops, Map iterations). */
  entered: number;
  retries: { attempt?: number; error?: string; errorEquals?: string[]; timestamp: string }[];
  /** Wait states: the wait in workflow seconds; callback tasks: their timeout. */
  waitSeconds?: number;
  /** The last input and output seen (masked). */
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
}

export interface ExecutionDetail extends ExecutionSummary {
  input: unknown;
  output?: unknown;
  cause?: string;
  states: Record<string, StateView>;
  history: HistoryEvent[];
  /** Callback tasks waiting now (token masked). */
  pending: { stateName: string; functionKey: string; since: string }[];
}

/** Wall-clock times (`startDate`/`stopDate` of the store, as Step Functions gives them) next to the workflow clock's. */
function timesOf(d: ExecutionDescription): ExecutionTimes {
  const workflow = d.workflowTime ?? { startDate: d.startDate, stopDate: d.stopDate };
  return {
    startDate: workflow.startDate,
    ...(workflow.stopDate ? { stopDate: workflow.stopDate } : {}),
    startedAt: d.startDate,
    ...(d.stopDate ? { stoppedAt: d.stopDate } : {}),
  };
}

function summaryOf(
  store: ExecutionStore,
  d: ExecutionDescription,
  history?: HistoryEvent[],
): ExecutionSummary {
  const pending = d.status === 'RUNNING' ? store.listPendingTasks(d.executionArn) : [];
  let currentState: string | undefined;
  if (d.status === 'RUNNING') {
    const h = history ?? store.getExecutionHistory(d.executionArn);
    currentState = [...h].reverse().find((e) => e.type === 'StateEntered')?.stateName;
  }
  return {
    workflow: d.stateMachine,
    name: d.name,
    executionArn: d.executionArn,
    status: d.status,
    ...(d.error ? { error: d.error } : {}),
    ...timesOf(d),
    ...(currentState ? { currentState } : {}),
    waitingForApproval: pending.some((p) => APPROVAL_STATES.includes(p.stateName)),
    waitingForTraffic: pending.some((p) => p.stateName === TRAFFIC_STATE),
  };
}

/** Every execution of the store, newest first. */
export function listExecutionViews(store: ExecutionStore): ExecutionSummary[] {
  return store
    .listExecutions()
    .map((d) => summaryOf(store, d))
    .reverse();
}

/** The execution `workflow`/`name`, or undefined. */
export function findExecution(
  store: ExecutionStore,
  workflow: string,
  name: string,
): ExecutionDescription | undefined {
  return store.listExecutions().find((e) => e.stateMachine === workflow && e.name === name);
}

/** Each state's status from the history, as the Step Functions graph view colours it. */
export function stateViews(
  history: readonly HistoryEvent[],
  pending: readonly { stateName: string }[],
): Record<string, StateView> {
  const states: Record<string, StateView> = {};
  const of = (e: HistoryEvent): StateView | undefined => {
    if (!e.stateName) return undefined;
    return (states[e.stateName] ??= { name: e.stateName, status: 'not-run', entered: 0, retries: [] });
  };
  for (const e of history) {
    const s = of(e);
    if (!s) continue;
    if (e.stateType && !s.type) s.type = e.stateType;
    switch (e.type) {
      case 'StateEntered':
        s.entered++;
        s.status = 'running';
        if (e.input !== undefined) s.input = e.input;
        if (e.waitSeconds !== undefined) s.waitSeconds = e.waitSeconds;
        delete s.error;
        delete s.cause;
        break;
      case 'StateExited':
        s.status = 'succeeded';
        if (e.output !== undefined) s.output = e.output;
        // An error retried away is in `retries`, not on the state.
        delete s.error;
        delete s.cause;
        break;
      case 'StateFailed':
      case 'LambdaFunctionFailed':
      case 'LambdaFunctionTimedOut':
      case 'TaskTokenFailed':
      case 'TaskTokenTimedOut':
      case 'TaskFailed':
        s.status = 'failed';
        if (e.error !== undefined) s.error = e.error;
        if (e.cause !== undefined) s.cause = causeMessage(e.cause);
        break;
      case 'StateRetried':
        s.status = 'retrying';
        s.retries.push({
          ...(e.attempt !== undefined ? { attempt: e.attempt } : {}),
          ...(s.error ? { error: s.error } : {}),
          ...(e.errorEquals ? { errorEquals: e.errorEquals } : {}),
          timestamp: e.timestamp,
        });
        break;
      case 'StateCaught':
        s.status = 'caught';
        break;
      case 'LambdaFunctionScheduled':
      case 'TaskScheduled':
        if (s.status === 'retrying') s.status = 'running';
        break;
      case 'TaskTokenIssued':
        s.status = 'waiting';
        if (e.timeoutSeconds !== undefined) s.waitSeconds = e.timeoutSeconds;
        break;
      default:
        break;
    }
  }
  for (const p of pending) {
    const s = states[p.stateName];
    if (s && s.status === 'running') s.status = 'waiting';
  }
  // A running Wait state is waiting.
  for (const s of Object.values(states))
    if (s.type === 'Wait' && s.status === 'running') s.status = 'waiting';
  return redact(states);
}

/** One execution with its history, each state's status, input and output, and what it waits for. */
export function executionView(
  store: ExecutionStore,
  workflow: string,
  name: string,
): ExecutionDetail | undefined {
  const d = findExecution(store, workflow, name);
  if (!d) return undefined;
  const history = store.getExecutionHistory(d.executionArn);
  const pending = d.status === 'RUNNING' ? store.listPendingTasks(d.executionArn) : [];
  const states = stateViews(history, pending);
  // An ended execution: a state still "running" was stopped with it.
  if (d.status !== 'RUNNING')
    for (const s of Object.values(states))
      if (s.status === 'running' || s.status === 'waiting' || s.status === 'retrying')
        s.status = d.status === 'SUCCEEDED' ? 'succeeded' : 'failed';
  return {
    ...summaryOf(store, d, history),
    input: redact(d.input),
    ...(d.output !== undefined ? { output: redact(d.output) } : {}),
    ...(d.cause ? { cause: causeMessage(d.cause) } : {}),
    states,
    history: history.map((e) => redact(e)),
    pending: pending.map((p) => ({ stateName: p.stateName, functionKey: p.functionKey, since: p.since })),
  };
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** Wall-clock time with the workflow time beside it; workflow time, said so, when the store has no wall-clock time. */
const startText = (e: ExecutionTimes): string =>
  e.startedAt ? `${e.startedAt} (workflow time ${e.startDate})` : `${e.startDate} (workflow time)`;

/** `ghes-ops executions`: one line per execution. */
export function formatExecutionList(list: readonly ExecutionSummary[]): string[] {
  if (!list.length) return ['no executions'];
  const w = Math.max(...list.map((e) => `${e.workflow}/${e.name}`.length));
  return list.map(
    (e) =>
      `${pad(`${e.workflow}/${e.name}`, w)}  ${pad(e.status, 9)}  ${startText(e)}` +
      `${e.currentState ? `  at ${e.currentState}` : ''}${e.waitingForApproval ? '  WAITING FOR APPROVAL' : ''}${e.waitingForTraffic ? '  WAITING FOR THE TRAFFIC SWITCH' : ''}${e.error ? `  ${e.error}` : ''}`,
  );
}

/** `ghes-ops execution <workflow> <name>`: the execution, its states and its history. */
export function formatExecution(d: ExecutionDetail): string[] {
  const lines = [
    `${d.workflow}/${d.name}: ${d.status}${d.error ? ` ${d.error}` : ''}`,
    `  started ${startText(d)}`,
  ];
  if (d.stopDate || d.stoppedAt)
    lines.push(
      `  stopped ${d.stoppedAt ?? d.stopDate}${d.stoppedAt && d.stopDate ? ` (workflow time ${d.stopDate})` : ''}`,
    );
  if (d.cause) lines.push(`  cause: ${d.cause}`);
  if (d.waitingForApproval)
    lines.push(`  waiting for approval: ghes-ops approve ${d.name}  (or reject ${d.name})`);
  if (d.waitingForTraffic)
    lines.push(
      `  waiting for the traffic switch (see the email): ghes-ops confirm-traffic ${d.name}  (or --failed)`,
    );
  lines.push('states:');
  for (const s of Object.values(d.states))
    lines.push(
      `  ${pad(s.name, 32)} ${pad(s.status, 9)}${s.entered > 1 ? ` x${s.entered}` : ''}${s.retries.length ? ` retries ${s.retries.length}` : ''}${s.error ? ` ${s.error}` : ''}`,
    );
  lines.push('history:');
  for (const e of d.history)
    lines.push(
      `  ${String(e.id).padStart(4)} ${e.timestamp} ${pad(e.type, 24)} ${e.stateName ?? ''}${e.attempt !== undefined ? ` attempt ${e.attempt}` : ''}${e.waitSeconds !== undefined ? ` wait ${e.waitSeconds}s` : ''}${e.error ? ` ${e.error}` : ''}`.trimEnd(),
    );
  return lines;
}
