import { causeMessage, type ErrorInfo } from '../errors.js';
import { formatDuration, sendNotification, type NotifyResult } from '../mail/notify.js';
import type { Deps } from '../runtime/deps.js';
import type { PreflightResult } from './preflight.js';
import type { ActionsSyncRequest } from './request.js';
import type { ActionResult } from './sync.js';

/**
 * The report: a summary email listing each action, its outcome and duration, and, when the input
 * names an `opsIssueRepository` and the GitHub App is configured, one issue in that repository
 * updated on every run (`shared/github-app/ops-issue.ts`).
 */
const OPS_ISSUE_TITLE = 'actions-sync: last run (ghes-ops)';

/** A Map item caught after its retries: the iteration's `{ action, error }`. */
interface CaughtItem {
  action: string;
  outcome: 'failed';
  error: ErrorInfo;
}

export interface ActionsSyncState {
  request?: ActionsSyncRequest;
  preflight?: PreflightResult;
  results?: (ActionResult | CaughtItem)[];
  error?: ErrorInfo;
}

export interface ActionsSyncReport {
  outcome: 'succeeded' | 'failed';
  counts: { synced: number; unchanged: number; failed: number; total: number };
  results: ActionResult[];
  failed: string[];
  /** For the final Fail state (names the failed actions). */
  cause: string;
  notification: NotifyResult;
  issue?: string;
}

function normalizeResults(results: ActionsSyncState['results'] = []): ActionResult[] {
  return results.map((r) =>
    'error' in r
      ? {
          action: r.action,
          outcome: 'failed' as const,
          message: `${r.error.Error}: ${causeMessage(r.error.Cause)}`.slice(0, 500),
          durationSeconds: 0,
        }
      : r,
  );
}

export async function reportActionsSync(
  state: ActionsSyncState,
  deps: Pick<Deps, 'config' | 'log' | 'mailer' | 'params'>,
): Promise<ActionsSyncReport> {
  const results = normalizeResults(state.results);
  const count = (o: ActionResult['outcome']): number => results.filter((r) => r.outcome === o).length;
  const counts = {
    synced: count('synced'),
    unchanged: count('unchanged'),
    failed: count('failed'),
    total: results.length,
  };
  const failed = results.filter((r) => r.outcome === 'failed').map((r) => r.action);
  const request = state.request;
  const lines: string[] = [];
  let subject: string;
  if (state.error) {
    subject = `[ghes-ops] actions-sync FAILED before syncing: ${state.error.Error}`;
    lines.push(
      'actions-sync did not run: a check failed before any action was synced.',
      '',
      `Error: ${state.error.Error}`,
      causeMessage(state.error.Cause),
      '',
    );
  } else {
    subject = failed.length
      ? `[ghes-ops] actions-sync: ${counts.failed} of ${counts.total} actions FAILED`
      : `[ghes-ops] actions-sync: ${counts.total} actions synced (${counts.unchanged} unchanged)`;
    lines.push(
      `actions-sync ran for ${counts.total} actions: ${counts.synced} synced, ${counts.unchanged} unchanged, ${counts.failed} failed.`,
      '',
    );
    const width = Math.max(6, ...results.map((r) => r.action.length));
    for (const r of results)
      lines.push(
        `  ${r.action.padEnd(width)}  ${r.outcome.padEnd(9)}  ${formatDuration(r.durationSeconds).padStart(10)}  ${r.outcome === 'failed' ? r.message : (r.refs ?? '')}`.trimEnd(),
      );
    lines.push('');
  }
  if (request) {
    lines.push(
      'Where:',
      `  runs on:     ${request.target}`,
      `  destination: ${request.destinationUrl}`,
      `  list:        ${request.listSource}`,
      `  auth:        ${request.auth.mode === 'pat' ? `PAT from ${request.tokenParameter}` : 'GitHub App installation token'}`,
      `  reason:      ${request.reason}`,
    );
    if (state.preflight)
      lines.push(
        `  tool:        actions-sync ${state.preflight.version} (linux_${state.preflight.binaryBuild}) on ${state.preflight.hostArch}, GHES ${state.preflight.installedVersion ?? '?'}`,
      );
  }
  let issue: string | undefined;
  if (request?.opsIssueRepository) {
    if (deps.config.githubApp) {
      try {
        const { upsertOpsIssue } = await import('../github-app/ops-issue.js');
        issue = (await upsertOpsIssue(deps, request.opsIssueRepository, OPS_ISSUE_TITLE, lines.join('\n')))
          .url;
        lines.push(`  issue:       ${issue}`);
      } catch (error) {
        deps.log.warn('ops issue not updated', {
          error: (error as Error).name,
          message: (error as Error).message,
        });
        lines.push(`  issue:       not updated (${request.opsIssueRepository}): ${(error as Error).message}`);
      }
    } else {
      lines.push(
        `  issue:       not updated (${request.opsIssueRepository}): no GitHub App is configured (docs/github-app.md)`,
      );
    }
  }
  lines.push('', '-- ghes-ops actions-sync workflow');
  const to = request?.notify ?? deps.config.mail.notify;
  const notification = await sendNotification(to, { subject, text: lines.join('\n') }, deps);
  const outcome = state.error || failed.length ? 'failed' : 'succeeded';
  return {
    outcome,
    counts,
    results,
    failed,
    cause: failed.length
      ? `${failed.length} of ${counts.total} actions failed: ${results
          .filter((r) => r.outcome === 'failed')
          .map((r) => `${r.action} (${r.message})`)
          .join('; ')
          .slice(0, 30_000)}`
      : '',
    notification,
    ...(issue ? { issue } : {}),
  };
}
