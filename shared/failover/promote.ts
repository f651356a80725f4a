import { command, renderShell } from '../appliance/command.js';
import type { CommandHandle } from '../appliance/runner.js';
import type { Deps } from '../runtime/deps.js';
import { outputTail } from '../support-bundle/output.js';
import { recordFailover } from './anti-flap.js';
import { PromotionFailed, PromotionTimeout } from './errors.js';
import { markLockPhase } from './lock.js';
import { iso } from './names.js';
import type { FailoverState } from './state.js';

/** The documented last line of a successful `ghe-repl-promote`. */
export const PROMOTE_SUCCESS = /Replica has been promoted to primary and is now accepting requests/;
/** The known failure with the old primary unreachable (GHES release note, 2024-11). */
export const PROMOTE_JQ_BUG = /jq: error \(at [^)]*\): Cannot index string with string "node"/;

export interface PromotionStart {
  handle: CommandHandle;
  command: string;
  replicaMaintenance: string;
  startedAt: string;
  deadline: string;
}

export interface PromotionCheck {
  state: 'running' | 'succeeded';
  elapsedSeconds: number;
  polls: number;
  output?: string;
  at: string;
}

/** Maintenance mode on the replica, then `ghe-repl-promote -y` started through the runner (polled by the state machine). */
export async function startPromotion(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'params' | 'runner'>,
): Promise<PromotionStart> {
  const { request } = state;
  const target = request.replica.target;
  await markLockPhase(request.execution.id, 'replica-maintenance', deps);
  const maint = await deps.runner.run(target, command('ghe-maintenance', '-s'), { timeoutSeconds: 120 });
  if (maint.exitCode !== 0) {
    throw new PromotionFailed(
      `Could not put the replica ${target} in maintenance mode before promoting it (exit code ${maint.exitCode}). Nothing was promoted; ` +
        'the failure path takes maintenance mode off both appliances again (unless "stayInMaintenance": true).\n' +
        outputTail([maint.stdout, maint.stderr].filter(Boolean).join('\n'), 10),
    );
  }
  // -y: no [y/N] prompt (SSM and ssh give the command no terminal).
  const cmd = command('ghe-repl-promote', '-y');
  const startedMs = deps.clock.now();
  const timeoutSeconds = request.promotionTimeoutMinutes * 60;
  // From here nothing is undone on a stop: the promotion may be running.
  await markLockPhase(request.execution.id, 'promoting', deps);
  const handle = await deps.runner.start(target, cmd, { timeoutSeconds: timeoutSeconds + 600 });
  // From here on the cluster is changing: this counts as a failover for the anti-flapping window.
  await recordFailover(request, 'promoting', deps, startedMs);
  deps.log.info('promotion started', { target, commandId: handle.commandId });
  return {
    handle,
    command: renderShell(cmd),
    replicaMaintenance: 'set',
    startedAt: iso(startedMs),
    deadline: iso(startedMs + timeoutSeconds * 1000),
  };
}

/** Explains a failed promotion, recognising the known jq bug. */
export function explainPromotionFailure(output: string, exitCode: number, target: string): string {
  if (PROMOTE_JQ_BUG.test(output)) {
    return (
      `ghe-repl-promote on ${target} hit the KNOWN GHES BUG (release note, 2024-11): with the old primary unreachable, promotion fails ` +
      `while it removes the old nodes through the old primary ("jq: error ... Cannot index string with string \\"node\\"", exit code ${exitCode}). ` +
      'Replication on the replica has been STOPPED, so it no longer follows the old primary, but it is NOT a primary yet and is in maintenance mode. ' +
      "Follow GitHub's documented workaround for this release note (or upgrade to a release with the fix), then run `ghe-repl-promote` on the replica by hand. " +
      'Traffic was not switched.'
    );
  }
  return (
    `ghe-repl-promote on ${target} failed (exit code ${exitCode}). The replica may be half promoted: replication may be stopped and maintenance mode set. ` +
    'Read the output below, check `ghe-repl-status` and `ghe-maintenance -q` on the replica, and finish or retry the promotion by hand. Traffic was not switched.'
  );
}

export async function checkPromotion(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'runner'>,
): Promise<PromotionCheck> {
  const { request, promotion } = state;
  const now = deps.clock.now();
  const elapsedSeconds = Math.round((now - Date.parse(promotion!.startedAt)) / 1000);
  const polls = (state.promotionCheck?.polls ?? 0) + 1;
  const result = await deps.runner.poll(promotion!.handle);
  if (result.done) {
    const text = [result.stdout, result.stderr].filter(Boolean).join('\n');
    const output = outputTail(text, 40);
    if (result.exitCode === 0 && PROMOTE_SUCCESS.test(result.stdout))
      return { state: 'succeeded', elapsedSeconds, polls, output, at: iso(now) };
    const why =
      result.exitCode === 0
        ? `ghe-repl-promote on ${request.replica.target} exited 0 but did not print the documented success line; it is not treated as promoted. Check the replica by hand. Traffic was not switched.`
        : explainPromotionFailure(text, result.exitCode, request.replica.target);
    throw new PromotionFailed(`${why}\nAppliance output:\n${output}`, {
      exitCode: result.exitCode,
      output,
      knownBug: PROMOTE_JQ_BUG.test(text),
    });
  }
  if (now > Date.parse(promotion!.deadline)) {
    throw new PromotionTimeout(
      `ghe-repl-promote on ${request.replica.target} was still running after ${request.promotionTimeoutMinutes} minutes (command ${promotion!.handle.commandId}). ` +
        'It may still finish: watch it on the replica. Traffic was NOT switched; switch it by hand once the promotion succeeds.',
      { elapsedSeconds },
    );
  }
  return { state: 'running', elapsedSeconds, polls, at: iso(now) };
}
