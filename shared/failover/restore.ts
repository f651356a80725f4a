import { command, renderShell } from '../appliance/command.js';
import type { Deps } from '../runtime/deps.js';
import { outputTail } from '../support-bundle/output.js';
import { readLock, type LockValue } from './lock.js';
import { iso } from './names.js';
import type { FailoverState } from './state.js';

/**
 * Every way out leaves service running: a planned failover that stops before promotion (the gate
 * after the drain fails, approval rejected or timed out, StopExecution, Ctrl-C in `ghes-ops run`,
 * the execution's timeout) takes maintenance mode off the appliances it may have set it on, unless
 * the request said `"stayInMaintenance": true`. What may be set is read from the lock's phase
 * (lock.ts, written before each irreversible step), so the failure path and the execution-ended
 * handler decide alike. Once promotion may have started nothing is undone: two primaries must
 * never take writes.
 */
export interface RestoreAction {
  action: string;
  ok: boolean;
  detail: string;
}

export interface RestoreResult {
  /**
   * `not-needed`: nothing had been set (or this is not a planned failover before promotion);
   * `kept`: left in maintenance mode on purpose (stayInMaintenance, or promotion had started);
   * `restored`: maintenance mode taken off; `failed`: it could not be (say so loudly).
   */
  state: 'not-needed' | 'kept' | 'restored' | 'failed';
  actions: RestoreAction[];
  /** When maintenance mode was off again everywhere it had been set: service restored. */
  restoredAt?: string;
  note: string;
  at: string;
}

type LockFacts = Pick<LockValue, 'mode' | 'phase' | 'restoreOnAbort' | 'primary' | 'replica'>;

async function unsetMaintenance(target: string, deps: Pick<Deps, 'runner'>): Promise<RestoreAction> {
  const cmd = command('ghe-maintenance', '-u');
  const action = `${renderShell(cmd)} on ${target}`;
  try {
    const r = await deps.runner.run(target, cmd, { timeoutSeconds: 120 });
    const out = outputTail([r.stdout, r.stderr].filter(Boolean).join('\n'), 10, 1000);
    return {
      action,
      ok: r.exitCode === 0,
      detail: r.exitCode === 0 ? 'maintenance mode unset' : `exit code ${r.exitCode}: ${out}`,
    };
  } catch (error) {
    const e = error as Error;
    return { action, ok: false, detail: `${e.name}: ${e.message.split('\n')[0]}` };
  }
}

/** HH:MM UTC of an ISO time, for the subject line. */
export const clockTime = (at: string): string => `${at.slice(11, 16)} UTC`;

/** Undoes what the lock's phase says may be set. */
export async function restoreService(
  lock: LockFacts | undefined,
  deps: Pick<Deps, 'clock' | 'log' | 'runner'>,
): Promise<RestoreResult> {
  const at = iso(deps.clock.now());
  if (!lock?.phase)
    return {
      state: 'not-needed',
      actions: [],
      note: 'the failover stopped before fencing: nothing was changed on the appliances',
      at,
    };
  if (lock.phase === 'promoting')
    return {
      state: 'kept',
      actions: [],
      note: `promotion of ${lock.replica} had started: nothing is undone (it may be promoted; the old primary ${lock.primary} must not take writes again)`,
      at,
    };
  if (lock.mode !== 'planned')
    return {
      state: 'not-needed',
      actions: [],
      note: `unplanned failover: ${lock.primary} is left as it was fenced (it was reported down)`,
      at,
    };
  const targets = lock.phase === 'replica-maintenance' ? [lock.primary, lock.replica] : [lock.primary];
  if (!lock.restoreOnAbort)
    return {
      state: 'kept',
      actions: [],
      note: `"stayInMaintenance": true: ${targets.join(' and ')} left in maintenance mode as requested; \`ghe-maintenance -u\` on ${targets.length > 1 ? 'each' : 'it'} ends the outage`,
      at,
    };
  const actions: RestoreAction[] = [];
  for (const target of targets) actions.push(await unsetMaintenance(target, deps));
  const failed = actions.filter((a) => !a.ok);
  const done = iso(deps.clock.now());
  deps.log.info('maintenance mode taken off after a stop before promotion', {
    targets,
    failed: failed.map((a) => a.action),
  });
  if (failed.length)
    return {
      state: 'failed',
      actions,
      note: `COULD NOT TAKE MAINTENANCE MODE OFF: ${failed.map((a) => `${a.action}: ${a.detail}`).join('; ')}. Users may still see the maintenance page: run \`ghe-maintenance -u\` there by hand`,
      at: done,
    };
  return {
    state: 'restored',
    actions,
    restoredAt: done,
    note: `maintenance mode taken off ${targets.join(' and ')} at ${clockTime(done)}: service restored`,
    at: done,
  };
}

/** The failure path's RestoreService step: restores what this execution's lock phase says. */
export async function restoreAfterFailure(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'params' | 'runner'>,
): Promise<RestoreResult> {
  const lock = await readLock(deps);
  if (lock?.owner !== state.request.execution.id)
    return {
      state: 'not-needed',
      actions: [],
      note: 'this execution does not hold the lock: it changed nothing',
      at: iso(deps.clock.now()),
    };
  // A promotion the state machine saw start is never undone, whatever the lock says.
  if (state.promotion) return restoreService({ ...lock, phase: 'promoting' }, deps);
  return restoreService(lock, deps);
}
