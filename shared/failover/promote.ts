import { command, describeCommand } from '../appliance/command.js';
import { readDetachedOutput, startDetached } from '../appliance/detached-job.js';
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

/**
 * The running promotion, carried through the state machine between polls. `ghe-repl-promote -y`
 * runs DETACHED on the replica (`nohup setsid ...`, output in `outputFile`): a dropped SSH session
 * or an ended SSM invocation during its 20-30 minutes does not end it; each poll reads the output
 * file's tail, whose last line is `[ghes-ops] exit status N` once it has ended.
 */
export interface PromotionStart {
  target: string;
  /** The command itself, `ghe-repl-promote -y`. */
  command: string;
  /** Its output file on the replica. */
  outputFile: string;
  /** Process id of the detached command on the replica (absent when re-attached). */
  pid?: number;
  /**
   * This step ran again (a Lambda service error after the promotion had started) and found the
   * output file of this execution's promotion: it did not start a second one, it polls that one.
   */
  reattached?: boolean;
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

/** Lines of the output file read at each poll: the documented output is 10-20 lines. */
const PROMOTE_TAIL_LINES = 200;

/**
 * The promotion's output file: one per execution (name and lock time), so that a retried start
 * finds the promotion it already started instead of starting another.
 */
export function promotionOutputFile(state: Pick<FailoverState, 'request' | 'lock'>): string {
  const name = state.request.execution.name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60);
  const at = Date.parse(state.lock?.acquiredAt ?? '');
  return `/tmp/ghes-ops-repl-promote-${name}${Number.isFinite(at) ? `-${at}` : ''}.log`;
}

/** Maintenance mode on the replica, then `ghe-repl-promote -y` started detached (polled by the state machine). */
export async function startPromotion(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'params' | 'runner'>,
): Promise<PromotionStart> {
  const { request } = state;
  const target = request.replica.target;
  // -y: no [y/N] prompt (SSM and ssh give the command no terminal).
  const cmd = command('ghe-repl-promote', '-y');
  const shown = describeCommand(cmd);
  const outputFile = promotionOutputFile(state);
  const timeoutSeconds = request.promotionTimeoutMinutes * 60;
  const progress = (startedMs: number, more: Partial<PromotionStart>): PromotionStart => ({
    target,
    command: shown,
    outputFile,
    ...more,
    replicaMaintenance: 'set',
    startedAt: iso(startedMs),
    deadline: iso(startedMs + timeoutSeconds * 1000),
  });
  // A retried step must not start a second promotion: this execution's output file says it began.
  const earlier = await readDetachedOutput(deps.runner, target, outputFile, 1);
  if (earlier.file !== 'missing') {
    if (earlier.file === 'unreadable') {
      throw new PromotionFailed(
        `Could not check on ${target} whether this execution already started ${shown} (reading ${outputFile} exited ${earlier.exitCode}). ` +
          'Nothing was promoted by this step; the failure path takes maintenance mode off again (unless "stayInMaintenance": true). ' +
          `Check the replica (ghe-repl-status, ps -ef | grep ghe-repl-promote) before starting again.\n${outputTail(earlier.stderr, 5, 500)}`,
      );
    }
    const startedMs = deps.clock.now();
    await markLockPhase(request.execution.id, 'promoting', deps);
    deps.log.warn('promotion already started by an earlier attempt of this step: polling it', {
      target,
      outputFile,
    });
    return progress(startedMs, { reattached: true });
  }
  await markLockPhase(request.execution.id, 'replica-maintenance', deps);
  const maint = await deps.runner.run(target, command('ghe-maintenance', '-s'), { timeoutSeconds: 120 });
  if (maint.exitCode !== 0) {
    throw new PromotionFailed(
      `Could not put the replica ${target} in maintenance mode before promoting it (exit code ${maint.exitCode}). Nothing was promoted; ` +
        'the failure path takes maintenance mode off both appliances again (unless "stayInMaintenance": true).\n' +
        outputTail([maint.stdout, maint.stderr].filter(Boolean).join('\n'), 10),
    );
  }
  const startedMs = deps.clock.now();
  // From here nothing is undone on a stop: the promotion may be running.
  await markLockPhase(request.execution.id, 'promoting', deps);
  const started = await startDetached(deps.runner, target, cmd, outputFile);
  if (!started.started) {
    // Whether it ran is unknown (the launcher failed): the lock stays at `promoting`, nothing is undone.
    throw new PromotionFailed(
      `${shown} could not be started detached on ${target} (exit code ${started.exitCode}); it may or may not have started. ` +
        `Check the replica (ghe-repl-status, ps -ef | grep ghe-repl-promote, ${outputFile}) and finish or retry the promotion by hand; ` +
        'check that nohup and setsid exist there and /tmp is writable. Traffic was not switched.\nAppliance output:\n' +
        outputTail([started.stdout, started.stderr].filter(Boolean).join('\n'), 10),
      { exitCode: started.exitCode },
    );
  }
  // From here on the cluster is changing: this counts as a failover for the anti-flapping window.
  await recordFailover(request, 'promoting', deps, startedMs);
  deps.log.info('promotion started detached', { target, pid: started.pid, outputFile });
  return progress(startedMs, { pid: started.pid });
}

/** The phases `ghe-repl-promote` announces, in order (GitHub's documented output). */
const PROMOTE_PHASES = [
  { line: /^Enabling maintenance mode on the primary/m, name: 'enabling maintenance mode on the primary' },
  { line: /^Stopping replication \.\.\./m, name: 'stopping replication' },
  { line: /^Switching out of replica mode/m, name: 'switching out of replica mode' },
  {
    line: /^Applying configuration and starting services/m,
    name: 'applying the configuration and starting services',
  },
] as const;

/** What a `ghe-repl-promote` output shows: how far it got, and what it confirmed. */
export interface PromotionProgress {
  /** The last phase announced (the one that failed), or undefined when none was. */
  phase?: string;
  /** 1-based position of that phase among the 4. */
  step: number;
  replicationStopped: boolean;
  replicaModeRemoved: boolean;
  /** The old primary could not be reached (ssh timeout, "Primary node is unavailable"). */
  primaryUnreachable: boolean;
}

export function promotionProgress(output: string): PromotionProgress {
  let step = 0;
  PROMOTE_PHASES.forEach((p, i) => {
    if (p.line.test(output)) step = i + 1;
  });
  return {
    ...(step ? { phase: PROMOTE_PHASES[step - 1]!.name } : {}),
    step,
    replicationStopped: /Success: replication was stopped for all services/.test(output),
    replicaModeRemoved: /Replication configuration has been removed/.test(output),
    primaryUnreachable:
      /Primary node is unavailable|connect to host \S+ port \d+: (Connection timed out|Connection refused|No route to host)/.test(
        output,
      ),
  };
}

/** Explains a failed promotion from its output: which phase failed, what it had done, the known jq bug. */
export function explainPromotionFailure(output: string, exitCode: number, target: string): string {
  const p = promotionProgress(output);
  const where = p.phase
    ? `while ${p.phase} (phase ${p.step} of ${PROMOTE_PHASES.length})`
    : 'before it announced any phase';
  const facts = [
    p.replicationStopped
      ? 'replication was stopped for all services (it no longer follows the old primary)'
      : 'replication was NOT confirmed stopped',
    p.replicaModeRemoved ? 'the replica configuration was removed' : 'it is still configured as a replica',
    p.primaryUnreachable
      ? 'the old primary could not be reached'
      : 'the output does not say the old primary was unreachable',
  ].join('; ');
  const state = p.replicaModeRemoved
    ? `${target} is out of replica mode but did not finish starting as a primary, and is in maintenance mode.`
    : p.replicationStopped
      ? `${target} no longer replicates but is NOT a primary yet, and is in maintenance mode.`
      : `${target} is probably still a replica (in maintenance mode); ${p.step <= 1 ? 'the primary may have been put in maintenance mode by the promotion.' : 'check its replication.'}`;
  if (PROMOTE_JQ_BUG.test(output)) {
    return (
      `ghe-repl-promote on ${target} failed ${where} with the KNOWN GHES BUG (release note, 2024-11): ` +
      `removing the old nodes through the old primary fails ("jq: error ... Cannot index string with string \\"node\\"", exit code ${exitCode})${p.primaryUnreachable ? ', which happens when the old primary is unreachable, as it was here' : ''}. ` +
      `Seen in the output: ${facts}. ${state} ` +
      "Follow GitHub's documented workaround for this release note (or upgrade to a release with the fix), then run `ghe-repl-promote` on the replica by hand. " +
      'Traffic was not switched.'
    );
  }
  return (
    `ghe-repl-promote on ${target} failed ${where} (exit code ${exitCode}). Seen in the output: ${facts}. ${state} ` +
    'Read the output below, check `ghe-repl-status` and `ghe-maintenance -q` on the replica, and finish or retry the promotion by hand. Traffic was not switched.'
  );
}

/**
 * One poll: reads the tail of the promotion's output file. `succeeded` only when it ended with
 * exit status 0 and printed the documented success line; `PromotionFailed` when it ended
 * otherwise or its output file is gone; `PromotionTimeout` past the deadline.
 */
export async function checkPromotion(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'log' | 'runner'>,
): Promise<PromotionCheck> {
  const { request } = state;
  const promotion = state.promotion!;
  const target = request.replica.target;
  const now = deps.clock.now();
  const elapsedSeconds = Math.round((now - Date.parse(promotion.startedAt)) / 1000);
  const polls = (state.promotionCheck?.polls ?? 0) + 1;
  const read = await readDetachedOutput(deps.runner, target, promotion.outputFile, PROMOTE_TAIL_LINES);
  if (read.file === 'missing') {
    throw new PromotionFailed(
      `The output file ${promotion.outputFile} of ${promotion.command} is gone from ${target} after ${elapsedSeconds} s: ` +
        'the replica may have restarted, and the outcome of the promotion is unknown. Check `ghe-repl-status` and ' +
        '`ghe-maintenance -q` on it, and finish or retry the promotion by hand. Traffic was not switched.',
      { output: outputTail(read.stderr, 5, 500) },
    );
  }
  if (read.file === 'read' && read.exitStatus !== undefined) {
    const output = outputTail(read.output, 40);
    if (read.exitStatus === 0 && PROMOTE_SUCCESS.test(read.output))
      return { state: 'succeeded', elapsedSeconds, polls, output, at: iso(now) };
    const why =
      read.exitStatus === 0
        ? `ghe-repl-promote on ${target} exited 0 but did not print the documented success line; it is not treated as promoted. Check the replica by hand. Traffic was not switched.`
        : explainPromotionFailure(read.output, read.exitStatus, target);
    throw new PromotionFailed(`${why}\nAppliance output:\n${output}`, {
      exitCode: read.exitStatus,
      output,
      knownBug: PROMOTE_JQ_BUG.test(read.output),
    });
  }
  if (read.file === 'unreadable') {
    // Not "missing": say so, and look again at the next poll (the deadline still applies).
    deps.log.warn('could not read the promotion output file', {
      outputFile: promotion.outputFile,
      exitCode: read.exitCode,
      detail: outputTail(read.stderr, 5, 500),
    });
  }
  if (now > Date.parse(promotion.deadline)) {
    throw new PromotionTimeout(
      `ghe-repl-promote on ${target} was still running after ${request.promotionTimeoutMinutes} minutes ` +
        `(process ${promotion.pid ?? 'unknown'}, output in ${promotion.outputFile}). ` +
        'It may still finish: watch it on the replica. Traffic was NOT switched; switch it by hand once the promotion succeeds.',
      { elapsedSeconds },
    );
  }
  return { state: 'running', elapsedSeconds, polls, at: iso(now) };
}
