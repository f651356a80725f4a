import { sendNotification } from '../mail/notify.js';
import type { Deps } from '../runtime/deps.js';
import { readLastFailover } from './anti-flap.js';
import { discardApproval } from './approval.js';
import { readLock, releaseLock } from './lock.js';
import { clockTime, restoreService, type RestoreResult } from './restore.js';

/**
 * Abort, execution timeout, or a failure path that failed itself: the state machine runs no more
 * states, so its own release never happens. Step Functions then emits an "Execution Status Change"
 * event (EventBridge rule in serverless.yml; the local world subscribes to the engine); this
 * restores service when the execution stopped before promotion (restore.ts, from the lock's phase:
 * Ctrl-C in `ghes-ops run`, StopExecution and the execution timeout all end here), then releases
 * the lock if that execution still owns it, and tells the people on the lock's notify list.
 * An execution that ended through its own failure path has released the lock already: no-op.
 */
export interface ExecutionEnded {
  executionArn: string;
  status: string;
}

export interface ExecutionEndedResult {
  released: boolean;
  note: string;
  notified: boolean;
  restore?: RestoreResult;
}

export async function onFailoverExecutionEnded(
  event: ExecutionEnded,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'mailer' | 'params' | 'runner'>,
): Promise<ExecutionEndedResult> {
  const lock = await readLock(deps);
  const name = event.executionArn.split(':').at(-1) ?? event.executionArn;
  await discardApproval(name, deps).catch(() => undefined);
  if (!lock || lock.owner !== event.executionArn) {
    return {
      released: false,
      note: 'the execution did not hold the lock (it released it itself, or never took it)',
      notified: false,
    };
  }
  const last = await readLastFailover(deps);
  const promoting = last?.execution === event.executionArn;
  // Restore while the lock is still held: no other failover can fence in between.
  const restore = await restoreService(promoting ? { ...lock, phase: 'promoting' } : lock, deps);
  const release = await releaseLock(event.executionArn, deps);
  const text = [
    `The failover execution ${name} ended ${event.status} without running its own clean-up (it was stopped, timed out, or its failure path failed).`,
    '',
    `The failover lock it held has been ${release.released ? 'released' : `left: ${release.note}`}.`,
    '',
    'State left:',
    promoting
      ? `  - PROMOTION HAD STARTED at ${last.at} on ${lock.replica}: it may be promoted, half promoted, or still running. Traffic may NOT be switched. Check ${lock.replica} (ghe-repl-status, ghe-maintenance -q) and the DNS/load balancer by hand.`
      : `  - promotion had not started: nothing changed, ${lock.replica} is still a replica of ${lock.primary}.`,
    ...(promoting
      ? []
      : [
          `  - ${restore.note}`,
          ...restore.actions.map((a) => `      ${a.action}: ${a.ok ? 'ok' : 'FAILED'} (${a.detail})`),
        ]),
    '',
    `Execution: ${event.executionArn} (see its history for the last step).`,
    '',
    '-- ghes-ops failover workflow',
  ].join('\n');
  let notified = false;
  try {
    notified = (
      await sendNotification(
        lock.notify,
        {
          subject: `[ghes-ops] Failover ${lock.primary} -> ${lock.replica} ${event.status}: ${
            promoting
              ? 'lock released, PROMOTION HAD STARTED'
              : restore.state === 'restored'
                ? `nothing changed, service restored at ${clockTime(restore.restoredAt!)}`
                : restore.state === 'failed'
                  ? 'nothing promoted, MAINTENANCE MODE STILL SET'
                  : restore.state === 'kept'
                    ? 'nothing promoted, left in maintenance mode as requested'
                    : 'nothing changed'
          }; lock released`,
          text,
        },
        deps,
      )
    ).sent;
  } catch (error) {
    deps.log.error('could not send the execution-ended notification', { error: (error as Error).name });
  }
  return { released: release.released, note: release.note, notified, restore };
}
