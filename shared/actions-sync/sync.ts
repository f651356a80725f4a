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
}

export type SyncCheck = { state: 'running' } | { state: 'done'; result: ActionResult };

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
  });
  return deps.runner.start(settings.target, cmd, { timeoutSeconds: 3600 });
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
  if (!poll.done) return { state: 'running' };
  const durationSeconds = Math.round((deps.clock.now() - Date.parse(handle.startedAt)) / 1000);
  if (poll.exitCode === 0) {
    const unchanged = /already up-to-date/i.test(poll.stdout);
    return {
      state: 'done',
      result: {
        action: action.name,
        outcome: unchanged ? 'unchanged' : 'synced',
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
