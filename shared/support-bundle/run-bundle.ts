import type { CommandHandle } from '../appliance/runner.js';
import { readFile, supportBundle, SUPPORT_BUNDLE_STATUS_FILE } from '../appliance/ghe.js';
import { renderShell } from '../appliance/command.js';
import { SupportBundleFailed, SupportBundleTimeout } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { outputTail } from './output.js';
import type { SupportBundleRequest } from './request.js';

/** The running bundle, carried through the state machine between polls. */
export interface BundleProgress {
  handle: CommandHandle;
  command: string;
  startedAt: string;
  deadline: string;
}

export interface BundleCheck {
  state: 'running' | 'complete';
  /** Content of /tmp/ghe-support-bundle-status when it could be read. */
  statusFile?: string;
  elapsedSeconds: number;
  /** Output of the finished command (tail). */
  output?: string;
}

/** Starts `ghe-support-bundle -t TICKET` (or the cluster variant) and returns at once. */
export async function startBundle(
  request: SupportBundleRequest,
  deps: Pick<Deps, 'clock' | 'log' | 'runner'>,
): Promise<BundleProgress> {
  const cmd = supportBundle(request);
  const startedMs = deps.clock.now();
  // The appliance-side limit is a little longer than the workflow's, so the workflow reports the timeout.
  const handle = await deps.runner.start(request.target, cmd, {
    timeoutSeconds: request.timeoutMinutes * 60 + 300,
  });
  deps.log.info('support bundle started', {
    ticket: request.ticket,
    target: request.target,
    commandId: handle.commandId,
  });
  return {
    handle,
    command: renderShell(cmd),
    startedAt: new Date(startedMs).toISOString(),
    deadline: new Date(startedMs + request.timeoutMinutes * 60_000).toISOString(),
  };
}

/**
 * One poll: is the bundle done? Throws `SupportBundleFailed` with the appliance output when the
 * command failed, and `SupportBundleTimeout` when it is still running past the deadline.
 */
export async function checkBundle(
  request: SupportBundleRequest,
  progress: BundleProgress,
  deps: Pick<Deps, 'clock' | 'log' | 'runner'>,
): Promise<BundleCheck> {
  const now = deps.clock.now();
  const elapsedSeconds = Math.round((now - Date.parse(progress.startedAt)) / 1000);
  const result = await deps.runner.poll(progress.handle);
  if (result.done) {
    const output = outputTail([result.stdout, result.stderr].filter(Boolean).join('\n'));
    if (result.status === 'Success' && result.exitCode === 0) {
      return { state: 'complete', statusFile: 'complete', elapsedSeconds, output };
    }
    throw new SupportBundleFailed(
      `${progress.command} failed on ${request.target} after ${elapsedSeconds} s (exit code ${result.exitCode}, ${result.status}). ` +
        `Check the appliance's outbound HTTPS access to GitHub's bundle service, then run the workflow again, or download the bundle ` +
        `(ghe-support-bundle -o) and attach it to ticket ${request.ticket} by hand.\nAppliance output:\n${output}`,
      { exitCode: result.exitCode, output },
    );
  }
  let statusFile: string | undefined;
  try {
    const status = await deps.runner.run(request.target, readFile(SUPPORT_BUNDLE_STATUS_FILE), {
      timeoutSeconds: 30,
    });
    if (status.exitCode === 0) statusFile = status.stdout.trim();
  } catch (error) {
    deps.log.warn('could not read the bundle status file', { error: (error as Error).name });
  }
  if (now > Date.parse(progress.deadline)) {
    throw new SupportBundleTimeout(
      `The support bundle for ticket ${request.ticket} was still running on ${request.target} after ${request.timeoutMinutes} minutes ` +
        `(status file: ${statusFile ?? 'unreadable'}). It may still finish and upload by itself: watch ${SUPPORT_BUNDLE_STATUS_FILE} on the appliance. ` +
        `To wait longer, run again with a larger timeoutMinutes, or a shorter period.`,
      { statusFile },
    );
  }
  return { state: 'running', ...(statusFile !== undefined ? { statusFile } : {}), elapsedSeconds };
}
