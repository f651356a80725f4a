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
