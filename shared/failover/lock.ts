import { ParameterAlreadyExists } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { FailoverInProgress } from './errors.js';
import { failoverParams, iso } from './names.js';
import type { FailoverRequest } from './request.js';

/**
 * One failover at a time. The lock is a parameter created with Overwrite=false (SSM answers
 * ParameterAlreadyExists to everyone but the first), holding the owner execution's ARN.
 *
 * Released on every path:
 * - success and every caught failure: the state machine's last states call `releaseLock`;
 * - abort, execution timeout, or a failure path that itself failed: no more states run, so the
 *   Step Functions "Execution Status Change" event starts `onFailoverExecutionEnded`
 *   (execution-ended.ts), which releases a lock still owned by that execution;
 * - if both were missed (event lost, function broken): the stale-owner rule below lets the next
 *   execution take the lock over when its owner is no longer RUNNING or is past its expiry.
 * Only the owner's ARN may release: a release never removes another execution's lock.
 */
/**
 * How far the owner got, written to the lock before each irreversible step, so that whoever ends
 * an execution (the failure path, or the execution-ended handler after an abort or a timeout)
 * knows what to restore: `fencing` (the primary may be in maintenance mode), `replica-maintenance`
 * (the replica may be too), `promoting` (ghe-repl-promote may be running: restore nothing).
 */
export type LockPhase = 'fencing' | 'replica-maintenance' | 'promoting';

export interface LockValue {
  owner: string;
  acquiredAt: string;
  /** Past this the lock is stale whatever the owner's status (the state machine's own time limit). */
  expiresAt: string;
  mode: FailoverRequest['mode'];
  primary: string;
  replica: string;
  notify: string[];
  phase?: LockPhase;
  /** Planned, without stayInMaintenance: a stop before promotion takes maintenance mode off again. */
  restoreOnAbort?: boolean;
}

export interface LockInfo {
  name: string;
  owner: string;
  acquiredAt: string;
  /** Set when a stale lock was taken over: whose it was and why it was stale. */
  takenOverFrom?: { owner: string; why: string };
}

export interface ReleaseResult {
  released: boolean;
  note: string;
}

/** The state machine's TimeoutSeconds: no execution, hence no lock owner, lives longer. */
const LOCK_MAX_AGE_SECONDS = 6 * 3600;
/** After taking over a stale lock, re-read it this long after to catch a concurrent taker. */
const TAKEOVER_SETTLE_MS = 2000;

function parse(value: string | undefined): LockValue | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as LockValue;
    return typeof v?.owner === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function readLock(deps: Pick<Deps, 'config' | 'params'>): Promise<LockValue | undefined> {
  return parse(await deps.params.get(failoverParams(deps.config).lock));
}

export async function acquireLock(
  request: FailoverRequest,
  deps: Pick<Deps, 'clock' | 'config' | 'executions' | 'log' | 'params'>,
): Promise<LockInfo> {
  const name = failoverParams(deps.config).lock;
  const now = deps.clock.now();
  const mine: LockValue = {
    owner: request.execution.id,
    acquiredAt: iso(now),
    expiresAt: iso(now + LOCK_MAX_AGE_SECONDS * 1000),
    mode: request.mode,
    primary: request.primary.target,
    replica: request.replica.target,
    notify: request.notify,
    restoreOnAbort: request.mode === 'planned' && !request.stayInMaintenance,
  };
  const text = JSON.stringify(mine);
  try {
    await deps.params.put(name, text, { secure: false, overwrite: false });
    return { name, owner: mine.owner, acquiredAt: mine.acquiredAt };
  } catch (error) {
    if (!(error instanceof ParameterAlreadyExists) && (error as Error).name !== 'ParameterAlreadyExists')
      throw error;
  }
  const currentText = await deps.params.get(name);
  const current = parse(currentText);
  // A retried Lambda whose first attempt took the lock.
  if (current?.owner === mine.owner) return { name, owner: current.owner, acquiredAt: current.acquiredAt };
  const stale = await staleness(current, deps);
  if (!stale) {
    throw new FailoverInProgress(
      `Another failover holds the lock ${name}: execution ${current!.owner} (${current!.mode}, ${current!.primary} -> ${current!.replica}, since ${current!.acquiredAt}). ` +
        'This execution changed nothing. Wait for that execution to end (or stop it: its lock is then released), and start again.',
      { owner: current!.owner, since: current!.acquiredAt },
    );
  }
  // Take over: delete the stale value only if it is still the one we judged, then create ours.
  if ((await deps.params.get(name)) === currentText) await deps.params.delete(name);
  try {
    await deps.params.put(name, text, { secure: false, overwrite: false });
  } catch (error) {
    if ((error as Error).name === 'ParameterAlreadyExists') {
      throw new FailoverInProgress(
        `Another execution took the stale failover lock ${name} first. This execution changed nothing.`,
      );
    }
    throw error;
  }
  await deps.clock.sleep(TAKEOVER_SETTLE_MS);
  const after = parse(await deps.params.get(name));
  if (after?.owner !== mine.owner) {
    throw new FailoverInProgress(
      `The failover lock ${name} changed hands while this execution took it over (now ${after?.owner ?? 'free'}). This execution changed nothing; start again.`,
    );
  }
  deps.log.warn('took over a stale failover lock', {
    previousOwner: current?.owner ?? '(unreadable)',
    why: stale,
  });
  return {
    name,
    owner: mine.owner,
    acquiredAt: mine.acquiredAt,
    takenOverFrom: { owner: current?.owner ?? '(unreadable)', why: stale },
  };
}

/** Why the current lock is stale, or undefined when its owner may still be working. */
async function staleness(
  current: LockValue | undefined,
  deps: Pick<Deps, 'clock' | 'executions' | 'log'>,
): Promise<string | undefined> {
  if (!current) return 'the lock value is unreadable';
  if (Date.parse(current.expiresAt) < deps.clock.now()) return `it expired at ${current.expiresAt}`;
  let status: string;
  try {
    status = await deps.executions.status(current.owner);
  } catch (error) {
    deps.log.warn('could not read the lock owner status; treating the lock as held', {
      error: (error as Error).name,
    });
    return undefined;
  }
  return status === 'RUNNING' ? undefined : `its owner execution is ${status}`;
}

/** Deletes the lock if `owner` holds it; never touches another execution's lock. */
export async function releaseLock(
  owner: string,
  deps: Pick<Deps, 'config' | 'log' | 'params'>,
): Promise<ReleaseResult> {
  const name = failoverParams(deps.config).lock;
  const current = parse(await deps.params.get(name));
  if (!current) return { released: false, note: 'the lock was not held' };
  if (current.owner !== owner)
    return { released: false, note: `the lock is held by ${current.owner}; left alone` };
  await deps.params.delete(name);
  deps.log.info('failover lock released', { owner });
  return { released: true, note: `released ${name}` };
}

/**
 * Records the phase this execution enters, before it acts. Refuses (FailoverInProgress) when the
 * execution no longer holds the lock: nothing irreversible without it.
 */
export async function markLockPhase(
  owner: string,
  phase: LockPhase,
  deps: Pick<Deps, 'config' | 'params'>,
): Promise<void> {
  const name = failoverParams(deps.config).lock;
  const current = parse(await deps.params.get(name));
  if (current?.owner !== owner) {
    throw new FailoverInProgress(
      `This execution no longer holds the failover lock ${name} (${current ? `held by ${current.owner}` : 'free'}): refusing to go on to ${phase}. ` +
        'Nothing more was changed; check the state of both appliances before starting again.',
    );
  }
  await deps.params.put(name, JSON.stringify({ ...current, phase }), { secure: false, overwrite: true });
}
