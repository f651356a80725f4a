import { actionsSyncSync } from '../appliance/actions-sync.js';
import type { CommandHandle } from '../appliance/runner.js';
import type { Deps } from '../runtime/deps.js';
import { ActionsSyncTransient } from './errors.js';
import { cacheSlug, type ActionEntry } from './list.js';
import type { ActionsSyncSettings } from './request.js';

/** One action: its own actions-sync call with its own cache directory, started then polled. */
export interface ActionResult {
  action: string;
  outcome: 'synced' | 'unchanged' | 'failed';
  /** The tool's last meaningful line (its error for a failure). */
  message: string;
  durationSeconds: number;
  exitCode?: number;
  /** What the destination's refs showed (set by CompareRefs; see refs.ts). */
  refs?: string;
}

export type SyncCheck =
  { state: 'running'; nextPollSeconds: number } | { state: 'done'; result: ActionResult };

/**
 * When to look again: soon at first, then about 15% of the time the call has run, in the steps the
 * state machine has Wait states for (2, 3, 5, 10 s; never more than that share, never less than
 * 2 s). So a call's completion is noticed at most 2 s or 15% after it happened, without polling
 * a long call every 2 s: a 20 s call is seen done at 20 s (10 polls), a 5-minute call within 10 s
 * (about 40 polls; fixed 10 s polling: 30 polls, up to 10 s late, and a 3 s call seen at 10 s).
 */
export const POLL_STEPS = [2, 3, 5, 10] as const;
const POLL_SHARE = 0.15;

export function nextPollSeconds(elapsedSeconds: number): number {
  const want = elapsedSeconds * POLL_SHARE;
  return [...POLL_STEPS].reverse().find((s) => s <= want) ?? POLL_STEPS[0];
}

/** Transient failures: network and server errors the state machine retries with backoff. */
const TRANSIENT =
  /unexpected EOF|connection reset|i\/o timeout|TLS handshake timeout|timed out|502 Bad Gateway|503 Service Unavailable|504 Gateway|EOF$/i;

export async function startSync(
  settings: ActionsSyncSettings,
  action: ActionEntry,
  deps: Pick<Deps, 'runner'>,
): Promise<CommandHandle> {
  const cmd = actionsSyncSync({
    tokenParameter: settings.tokenParameter,
    cacheDir: `${settings.cacheRoot}/${cacheSlug(action)}`,
    destinationUrl: settings.destinationUrl,
    repoName: action.name,
    defaultBranchOnly: settings.defaultBranchOnly,
    ...(settings.batchSize !== undefined ? { batchSize: settings.batchSize } : {}),
    ...(settings.actionsAdminUser ? { actionsAdminUser: settings.actionsAdminUser } : {}),
    githubAppAuth: settings.auth.mode === 'app',
    binaryPath: settings.binaryPath,
  });
  const handle = await deps.runner.start(settings.target, cmd, { timeoutSeconds: 3600 });
  return handle;
}

const lastLine = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1) ?? '';

export async function checkSync(
  action: ActionEntry,
  handle: CommandHandle,
  deps: Pick<Deps, 'clock' | 'runner'>,
): Promise<SyncCheck> {
  const poll = await deps.runner.poll(handle);
  const elapsed = (deps.clock.now() - Date.parse(handle.startedAt)) / 1000;
  if (!poll.done) return { state: 'running', nextPollSeconds: nextPollSeconds(elapsed) };
  const durationSeconds = Math.round(elapsed);
  if (poll.exitCode === 0) {
    // actions-sync prints the same lines whether or not anything changed: CompareRefs tells
    // "unchanged" from the destination's refs before and after.
    return {
      state: 'done',
      result: {
        action: action.name,
        outcome: 'synced',
        message: lastLine(poll.stdout).slice(0, 500),
        durationSeconds,
        exitCode: 0,
      },
    };
  }
  const message = (lastLine(poll.stderr) || lastLine(poll.stdout) || `exit ${poll.exitCode}`).slice(0, 500);
  if (TRANSIENT.test(message)) {
    throw new ActionsSyncTransient(`${action.name}: ${message} (transient; retried with backoff)`, {
      action: action.name,
    });
  }
  return {
    state: 'done',
    result: { action: action.name, outcome: 'failed', message, durationSeconds, exitCode: poll.exitCode },
  };
}
