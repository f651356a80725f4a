import { command, renderShell } from '../appliance/command.js';
import { replStatus } from '../appliance/ghe.js';
import type { Deps } from '../runtime/deps.js';
import type { DrainCounters } from '../http/appliance-http.js';
import { outputTail } from '../support-bundle/output.js';
import { FenceFailed } from './errors.js';
import { markLockPhase } from './lock.js';
import { iso } from './names.js';
import { describeAccepted, describeProblems, judgeReplication, parseReplStatus } from './repl-status.js';
import type { FailoverState } from './state.js';

/**
 * Fencing the old primary so that it can never take writes next to the new one.
 *
 * Planned: `ghe-maintenance -s` on the primary (it must succeed), then the documented drain: wait
 * until active Git operations, MySQL queries and Resque jobs are zero, 30 s more, and every
 * replication channel OK (`checkDrain`, polled by the state machine).
 * Unplanned: fence what can be fenced (maintenance mode if the primary still answers; EC2
 * StopInstances when asked) and record what could not be.
 */
const DRAIN_SETTLE_SECONDS = 30;
/** When the drain counters cannot be read (no Manage API access): wait this long instead. */
const DRAIN_FALLBACK_SECONDS = 120;
const DRAIN_TIMEOUT_SECONDS = 15 * 60;

export interface FenceAction {
  action: string;
  ok: boolean;
  detail: string;
}

export interface FenceResult {
  mode: 'planned' | 'unplanned';
  actions: FenceAction[];
  /** What could not be fenced (unplanned), for the notification. */
  notFenced: string[];
  at: string;
}

export interface DrainCheck {
  state: 'draining' | 'settling' | 'replication' | 'done';
  counters?: DrainCounters;
  /** False when the counters could not be read and the fixed fallback time was used. */
  measured: boolean;
  drainedAt?: string;
  replication?: { exitCode: number; lines: string[]; problems?: string; accepted?: string };
  forced?: string;
  /** What this poll is waiting for (shown on every poll: log, history, progress). */
  waitingFor: string;
  polls: number;
  at: string;
}

async function setMaintenance(target: string, deps: Pick<Deps, 'runner'>): Promise<FenceAction> {
  const cmd = command('ghe-maintenance', '-s');
  try {
    const r = await deps.runner.run(target, cmd, { timeoutSeconds: 120 });
    const out = outputTail([r.stdout, r.stderr].filter(Boolean).join('\n'), 10, 1000);
    return {
      action: `${renderShell(cmd)} on ${target}`,
      ok: r.exitCode === 0,
      detail: r.exitCode === 0 ? 'maintenance mode set' : `exit code ${r.exitCode}: ${out}`,
    };
  } catch (error) {
    const e = error as Error;
    return {
      action: `${renderShell(cmd)} on ${target}`,
      ok: false,
      detail: `${e.name}: ${e.message.split('\n')[0]}`,
    };
  }
}

export async function fencePrimary(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'config' | 'instances' | 'params' | 'runner'>,
): Promise<FenceResult> {
  const { request } = state;
  const at = iso(deps.clock.now());
  // Before acting: a stop from here on takes maintenance mode off again (restore.ts).
  await markLockPhase(request.execution.id, 'fencing', deps);
  const maintenance = await setMaintenance(request.primary.target, deps);
  if (request.mode === 'planned') {
    if (!maintenance.ok) {
      throw new FenceFailed(
        `Could not put the primary ${request.primary.target} in maintenance mode (${maintenance.detail}). Nothing was promoted; ` +
          'the failure path runs `ghe-maintenance -u` on it in case it was set (unless "stayInMaintenance": true).',
        { action: maintenance },
      );
    }
    return { mode: 'planned', actions: [maintenance], notFenced: [], at };
  }
  const actions = [maintenance];
  const notFenced: string[] = [];
  if (!maintenance.ok)
    notFenced.push(`maintenance mode on ${request.primary.target} (${maintenance.detail})`);
  if (request.stopOldPrimary && request.primary.instanceId) {
    try {
      const r = await deps.instances.stop(request.primary.instanceId, { force: true });
      actions.push({
        action: `EC2 StopInstances ${r.instanceId} (force)`,
        ok: true,
        detail: `${r.previousState} -> ${r.currentState}`,
      });
    } catch (error) {
      const e = error as Error;
      actions.push({
        action: `EC2 StopInstances ${request.primary.instanceId} (force)`,
        ok: false,
        detail: `${e.name}: ${e.message}`,
      });
      notFenced.push(`EC2 instance ${request.primary.instanceId} was not stopped (${e.name})`);
    }
  } else if (!maintenance.ok) {
    notFenced.push(
      "the old primary's instance was not stopped (stopOldPrimary was not requested): if it comes back it must not take writes; put it in maintenance mode first",
    );
  }
  return { mode: 'unplanned', actions, notFenced, at };
}

/** One line: what the drain waits for now, with the figures it waits on. */
function waitingFor(check: DrainCheck, startedMs: number, nowMs: number): string {
  const c = check.counters;
  const counters = c
    ? `git operations ${c.gitOperations}, mysql queries ${c.mysqlQueries}, resque jobs ${c.resqueJobs}`
    : undefined;
  switch (check.state) {
    case 'draining':
      return counters
        ? `active work to reach zero: ${counters}`
        : `a fixed ${DRAIN_FALLBACK_SECONDS}s (counters unreadable: no Manage API access), ${Math.max(0, DRAIN_FALLBACK_SECONDS - Math.round((nowMs - startedMs) / 1000))}s left`;
    case 'settling':
      return `the ${DRAIN_SETTLE_SECONDS}s settle time after the drain (drained at ${check.drainedAt})`;
    case 'replication':
      return `every replication channel within the policy: ${(check.replication?.problems ?? '')
        .split('\n')
        .filter((l) => l.startsWith('- '))
        .map((l) => l.slice(2))
        .join('; ')} | ${check.replication?.lines.filter((l) => !l.startsWith('OK')).join(' | ')}`;
    default:
      return check.replication?.accepted
        ? `nothing: drained and replication passes (${check.replication.accepted})`
        : check.forced
          ? `nothing: drained; replication problems FORCED (${check.forced})`
          : 'nothing: drained and every replication channel OK';
  }
}

const zero = (c: DrainCounters): boolean =>
  c.gitOperations === 0 && c.mysqlQueries === 0 && c.resqueJobs === 0;

/** One drain poll (planned mode). Throws `FenceFailed` past the drain timeout. */
export async function checkDrain(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'http' | 'log' | 'runner'>,
): Promise<DrainCheck> {
  const { request, fence } = state;
  const prev = state.drain;
  const now = deps.clock.now();
  const started = Date.parse(fence!.at);
  const counters = await deps.http.drain(request.primary.host ?? request.primary.target);
  const measured = counters !== undefined;
  let drainedAt = prev?.drainedAt;
  if (!drainedAt) {
    if (counters ? zero(counters) : now - started >= DRAIN_FALLBACK_SECONDS * 1000) drainedAt = iso(now);
  }
  const check: DrainCheck = {
    state: drainedAt ? 'settling' : 'draining',
    ...(counters ? { counters } : {}),
    measured,
    ...(drainedAt ? { drainedAt } : {}),
    waitingFor: '',
    polls: (prev?.polls ?? 0) + 1,
    at: iso(now),
  };
  if (drainedAt && now >= Date.parse(drainedAt) + DRAIN_SETTLE_SECONDS * 1000) {
    const r = await deps.runner.run(request.replica.target, replStatus(2), { timeoutSeconds: 120 });
    const parsed = parseReplStatus([r.stdout, r.stderr].filter(Boolean).join('\n'));
    // The same policy as preflight: a WARNING with a lag within the limit passes, and is said so.
    const verdict = judgeReplication(parsed, request.maxReplicationLagSeconds);
    check.replication = { exitCode: r.exitCode, lines: parsed.channels.map((c) => c.line) };
    if (verdict.accepted.length) check.replication.accepted = describeAccepted(verdict);
    if (verdict.healthy) check.state = 'done';
    else if (request.force) {
      check.state = 'done';
      check.forced = request.force.reason;
      check.replication.problems = describeProblems(verdict);
    } else {
      check.state = 'replication';
      check.replication.problems = describeProblems(verdict);
    }
  }
  check.waitingFor = waitingFor(check, started, now);
  deps.log.info('drain poll', { state: check.state, waitingFor: check.waitingFor, polls: check.polls });
  if (check.state !== 'done' && now - started > DRAIN_TIMEOUT_SECONDS * 1000) {
    throw new FenceFailed(
      `The primary ${request.primary.target} did not drain, or replication did not reach all OK, within ${DRAIN_TIMEOUT_SECONDS / 60} minutes of maintenance mode ` +
        `(${check.counters ? `git ${check.counters.gitOperations}, mysql ${check.counters.mysqlQueries}, resque ${check.counters.resqueJobs}` : 'counters unreadable'}). ` +
        `Nothing was promoted; the failure path takes ${request.primary.target} out of maintenance mode again (unless the request said "stayInMaintenance": true).` +
        (check.replication?.problems ? `\nReplication:\n${check.replication.problems}` : ''),
      { drain: check },
    );
  }
  return check;
}
