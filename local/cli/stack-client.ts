import path from 'node:path';
import type { LocalConfig } from '../config.js';
import type { StackIdentity } from '../stack-api.js';
import { readConsoleToken } from '../console/auth.js';

/**
 * The CLI's client of a running local stack (`ghes-ops start`): commands that act on the stack's
 * state (its desk, its mail provider, its executions) go through its management API instead of
 * starting a second copy beside it.
 */
let stackToken: string | undefined;

/** The token of the stack started with this state directory (`<stateDir>/console-token`), sent on every change. */
export function useStackToken(stateDir: string): void {
  stackToken = readConsoleToken(stateDir);
}

/** Headers of a request that changes something on the stack: JSON, and the stack's token when known. */
export function stackHeaders(): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(stackToken ? { authorization: `Bearer ${stackToken}` } : {}),
  };
}

export const stackUrl = (config: Pick<LocalConfig, 'local'>): string =>
  `http://${config.local.http.host}:${config.local.http.port}`;

/** The stack's URL when one answers there (within a second), else undefined. */
export async function runningStack(config: Pick<LocalConfig, 'local'>): Promise<string | undefined> {
  const url = stackUrl(config);
  try {
    const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { service?: string };
    return body.service === 'ghes-ops local stack' ? url : undefined;
  } catch {
    return undefined;
  }
}

export interface StackExecution {
  executionArn: string;
  name: string;
  status: string;
  output?: unknown;
  error?: string;
  cause?: string;
}

export type { StackIdentity };

/** The identity of the stack at `url`, or undefined when it does not give one. */
export async function stackIdentityAt(url: string): Promise<StackIdentity | undefined> {
  try {
    const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
    return ((await res.json()) as { stack?: StackIdentity }).stack;
  } catch {
    return undefined;
  }
}

/**
 * Why a run configured with `config` cannot be submitted to the stack `identity` (another state
 * directory, appliance, scenario or time scale), or [] when it can.
 */
export function stackMismatch(identity: StackIdentity | undefined, config: LocalConfig): string[] {
  if (!identity) return ['it does not say which configuration it runs'];
  const out: string[] = [];
  if (path.resolve(identity.stateDir) !== path.resolve(config.local.stateDir))
    out.push(`its state directory is ${identity.stateDir}`);
  if (identity.appliance !== `${config.appliance.runner}:${config.appliance.primary}`)
    out.push(`it runs against ${identity.appliance}`);
  if (identity.scenario !== config.local.scenario) out.push(`its scenario is ${identity.scenario}`);
  if (identity.timeScale !== config.local.timeScale) out.push(`its time scale is ${identity.timeScale}`);
  return out;
}

/** A history event as the stack returns it (local/engine/history.ts). */
export interface StackHistoryEvent {
  id: number;
  type: string;
  timestamp: string;
  stateName?: string;
  stateType?: string;
  [field: string]: unknown;
}

export interface FollowOptions {
  /** Execution name (default: the stack picks one). */
  name?: string;
  /** Each new history event, in order. */
  onEvent?: (event: StackHistoryEvent, executionName: string) => void;
  /** Called once with the execution's name once it started. */
  onStarted?: (executionArn: string) => void;
  /** Poll interval (ms). */
  pollMs?: number;
}

/** Starts `workflow` on the stack and follows its history until it ends. */
export async function followOnStack(
  url: string,
  workflow: string,
  input: unknown,
  opts: FollowOptions = {},
): Promise<StackExecution> {
  const query = opts.name ? `?name=${encodeURIComponent(opts.name)}` : '';
  const res = await fetch(`${url}/executions/${workflow}${query}`, {
    method: 'POST',
    headers: stackHeaders(),
    body: JSON.stringify(input),
  });
  const started = (await res.json()) as { executionArn?: string; error?: string; message?: string };
  if (!res.ok || !started.executionArn)
    throw new Error(
      `the stack at ${url} did not start ${workflow}: ${started.message ?? started.error ?? res.status}`,
    );
  const name = started.executionArn.split(':').pop()!;
  opts.onStarted?.(started.executionArn);
  let seen = 0;
  for (;;) {
    const d = (await (await fetch(`${url}/executions/${workflow}/${name}`)).json()) as StackExecution & {
      history?: StackHistoryEvent[];
    };
    for (const e of (d.history ?? []).slice(seen)) opts.onEvent?.(e, name);
    seen = Math.max(seen, d.history?.length ?? 0);
    if (d.status !== 'RUNNING') {
      const { history: _history, ...rest } = d;
      return { ...rest, name };
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}

/** Asks the stack to stop an execution (StopExecution). */
export async function stopOnStack(url: string, workflow: string, name: string, cause: string): Promise<void> {
  const res = await fetch(`${url}/executions/${workflow}/${name}/stop`, {
    method: 'POST',
    headers: stackHeaders(),
    body: JSON.stringify({ error: 'Interrupted', cause }),
  });
  if (!res.ok) throw new Error(`the stack did not stop ${name}: HTTP ${res.status}`);
}

/**
 * Decides an approval wait (failover, jira-prefix-list, tls-certificate) on the stack; retries
 * while the approval is not stored yet. Never a manual traffic confirmation (`expect`).
 */
export async function decideOnStack(
  url: string,
  execution: string,
  body: { decision: 'approve' | 'reject'; by: string; reason?: string },
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/approvals/${encodeURIComponent(execution)}/decision`, {
      method: 'POST',
      headers: stackHeaders(),
      body: JSON.stringify({ ...body, expect: 'approval' }),
    });
    if (res.ok) return;
    const answer = (await res.json().catch(() => ({}))) as { message?: string };
    if (res.status !== 404 || attempt >= 50)
      throw new Error(answer.message ?? `HTTP ${res.status} from the stack`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `workflow` on the stack and waits for its end (`ghes-ops desk verify`). */
export async function runOnStack(
  url: string,
  workflow: string,
  input: unknown,
  progress: (line: string) => void = () => undefined,
): Promise<StackExecution> {
  return followOnStack(url, workflow, input, {
    onStarted: (arn) => progress(`started ${arn} on the running stack ${url}`),
    pollMs: 500,
  });
}
