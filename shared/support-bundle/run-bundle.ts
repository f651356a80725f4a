import { describeCommand } from '../appliance/command.js';
import { readDetachedOutput, startDetached } from '../appliance/detached-job.js';
import { readFile, supportBundle, SUPPORT_BUNDLE_STATUS_FILE } from '../appliance/ghe.js';
import { SupportBundleFailed, SupportBundleTimeout } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { outputTail } from './output.js';
import type { SupportBundleRequest } from './request.js';

/**
 * The support bundle runs DETACHED on the appliance (`nohup setsid ... &`, output to a file), so an
 * SSH session that drops or an SSM invocation that ends does not end an hours-long bundle. The
 * state machine polls with Wait states; each poll reads `/tmp/ghe-support-bundle-status`
 * (`running` while it works, `complete` when done: reference/ghes-appliance.md, a field report)
 * and the tail of the output file, whose last line is `[ghes-ops] exit status N` once the
 * command has ended. Only what these two show is reported.
 */

/** The running bundle, carried through the state machine between polls. */
export interface BundleProgress {
  target: string;
  /** The bundle command itself, e.g. `ghe-support-bundle -t 1234567`. */
  command: string;
  /** The detached command's output file on the appliance. */
  outputFile: string;
  /** Process id of the detached command on the appliance (for the operator). */
  pid?: number;
  startedAt: string;
  deadline: string;
}

export interface BundleCheck {
  state: 'running' | 'complete';
  /** Content of /tmp/ghe-support-bundle-status (trimmed), absent when the file could not be read. */
  statusFile?: string;
  elapsedSeconds: number;
  /** The last lines of the command's output. */
  output?: string;
  /** The command's exit status, once it has ended. */
  exitStatus?: number;
}

const STATUS_RUNNING = 'running';
const STATUS_COMPLETE = 'complete';
const TAIL_LINES = 40;

/** Output file of the detached bundle: unique per ticket and start (the ticket is 7 validated digits). */
export function bundleOutputFile(ticket: string, startedMs: number): string {
  return `/tmp/ghes-ops-support-bundle-${ticket}-${startedMs}.log`;
}

async function readStatusFile(target: string, deps: Pick<Deps, 'runner'>): Promise<string | undefined> {
  const status = await deps.runner.run(target, readFile(SUPPORT_BUNDLE_STATUS_FILE), { timeoutSeconds: 30 });
  return status.exitCode === 0 ? status.stdout.trim() : undefined;
}

/**
 * Starts `ghe-support-bundle -t TICKET` (or the cluster variant) detached and returns at once.
 * Refuses to start a second bundle while the status file says one is running.
 */
export async function startBundle(
  request: SupportBundleRequest,
  deps: Pick<Deps, 'clock' | 'log' | 'runner'>,
): Promise<BundleProgress> {
  const cmd = supportBundle(request);
  const shown = describeCommand(cmd);
  const before = await readStatusFile(request.target, deps);
  if (before === STATUS_RUNNING) {
    throw new SupportBundleFailed(
      `A support bundle is already being generated on ${request.target}: ${SUPPORT_BUNDLE_STATUS_FILE} says "running". ` +
        `Nothing was started. Wait for it to say "complete" and run the workflow again. If no ghe-support-bundle ` +
        `process runs there (ps -ef | grep support-bundle), the file is left from an interrupted bundle: remove it and run again.`,
      { statusFile: before },
    );
  }
  const startedMs = deps.clock.now();
  const outputFile = bundleOutputFile(request.ticket, startedMs);
  const started = await startDetached(deps.runner, request.target, cmd, outputFile);
  if (!started.started) {
    throw new SupportBundleFailed(
      `${shown} could not be started on ${request.target} (exit code ${started.exitCode}). Check that nohup and setsid ` +
        `exist there and /tmp is writable, then run the workflow again.\nAppliance output:\n` +
        outputTail([started.stdout, started.stderr].filter(Boolean).join('\n')),
      { exitCode: started.exitCode },
    );
  }
  const { pid } = started;
  deps.log.info('support bundle started detached', {
    ticket: request.ticket,
    target: request.target,
    pid,
    outputFile,
  });
  return {
    target: request.target,
    command: shown,
    outputFile,
    pid,
    startedAt: new Date(startedMs).toISOString(),
    deadline: new Date(startedMs + request.timeoutMinutes * 60_000).toISOString(),
  };
}

/**
 * One poll. `complete` only when the command has ended with exit status 0 AND the status file
 * says `complete`; `running` while the command has not ended (whatever the status file says: it
 * says `complete` before the upload has finished). Throws `SupportBundleFailed` when the command
 * ended otherwise or its output file is gone, `SupportBundleTimeout` past the deadline.
 */
export async function checkBundle(
  request: SupportBundleRequest,
  progress: BundleProgress,
  deps: Pick<Deps, 'clock' | 'log' | 'runner'>,
): Promise<BundleCheck> {
  const now = deps.clock.now();
  const elapsedSeconds = Math.round((now - Date.parse(progress.startedAt)) / 1000);
  // The output file first, then the status file: the exit status line is written after the
  // bundle command has ended, so once the tail shows it the status file read next is final (read
  // the other way round, a bundle ending between the two reads looks "exit 0 but not complete").
  const tail = await readDetachedOutput(deps.runner, progress.target, progress.outputFile, TAIL_LINES);
  const statusFile = await readStatusFile(progress.target, deps);
  const seen = `status file: ${statusFile === undefined ? 'unreadable' : JSON.stringify(statusFile)}`;
  if (tail.file === 'unreadable') {
    // Could not read it this time (not "missing"): say so, and look again at the next poll.
    deps.log.warn('could not read the bundle output file', {
      outputFile: progress.outputFile,
      exitCode: tail.exitCode,
      detail: outputTail(tail.stderr, 5, 500),
    });
  } else if (tail.file === 'missing') {
    throw new SupportBundleFailed(
      `The output file ${progress.outputFile} of ${progress.command} is gone from ${progress.target} after ${elapsedSeconds} s ` +
        `(${seen}): the appliance may have restarted, which ends the bundle. Check ${SUPPORT_BUNDLE_STATUS_FILE} there, ` +
        `then run the workflow again.\nAppliance output:\n${outputTail(tail.stderr)}`,
      { outputFile: progress.outputFile, ...(statusFile !== undefined ? { statusFile } : {}) },
    );
  }
  const { output: raw, exitStatus } = tail.file === 'read' ? tail : { output: '', exitStatus: undefined };
  const output = outputTail(raw);
  const base = {
    ...(statusFile !== undefined ? { statusFile } : {}),
    elapsedSeconds,
    ...(output ? { output } : {}),
  };
  if (exitStatus === 0 && statusFile === STATUS_COMPLETE) {
    return { state: 'complete', ...base, exitStatus };
  }
  if (exitStatus !== undefined) {
    const why =
      exitStatus === 0
        ? `ended with exit status 0, but ${SUPPORT_BUNDLE_STATUS_FILE} does not say "complete", so the upload is not confirmed`
        : `failed with exit status ${exitStatus}`;
    throw new SupportBundleFailed(
      `${progress.command} ${why} on ${request.target} after ${elapsedSeconds} s (${seen}). ` +
        `Check the appliance's outbound HTTPS access to GitHub's bundle service, then run the workflow again, or download the bundle ` +
        `(ghe-support-bundle -o) and attach it to ticket ${request.ticket} by hand.\nAppliance output:\n${output}`,
      { exitCode: exitStatus, output, ...(statusFile !== undefined ? { statusFile } : {}) },
    );
  }
  if (now > Date.parse(progress.deadline)) {
    throw new SupportBundleTimeout(
      `The support bundle for ticket ${request.ticket} was still running on ${request.target} after ${request.timeoutMinutes} minutes ` +
        `(${seen}, process ${progress.pid ?? 'unknown'}, output in ${progress.outputFile}). It may still finish and upload by itself: ` +
        `watch ${SUPPORT_BUNDLE_STATUS_FILE} on the appliance. To wait longer, run again with a larger timeoutMinutes, or a shorter period.`,
      { ...(statusFile !== undefined ? { statusFile } : {}) },
    );
  }
  deps.log.info('support bundle still running', {
    ticket: request.ticket,
    elapsedSeconds,
    statusFile: statusFile ?? null,
  });
  return { state: 'running', ...base };
}
