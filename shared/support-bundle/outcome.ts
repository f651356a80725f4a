import { causeMessage, type ErrorInfo } from '../errors.js';
import { formatDuration, sendNotification, type Notification, type NotifyResult } from '../mail/notify.js';
import type { Deps } from '../runtime/deps.js';
import type { ReplicationAttachment } from './attach-replication.js';
import type { SupportBundleRequest } from './request.js';
import type { BundleCheck, BundleProgress } from './run-bundle.js';
import { SUPPORT_BUNDLE_STATUS_FILE } from '../appliance/ghe.js';

/** The workflow's state as the notify step receives it. */
export interface SupportBundleState {
  request: SupportBundleRequest;
  bundle?: BundleProgress;
  check?: BundleCheck;
  replication?: ReplicationAttachment;
  error?: ErrorInfo;
}

export interface SupportBundleOutcome extends NotifyResult {
  ticket: string;
  outcome: 'uploaded' | 'failed';
  durationSeconds: number;
}

const STEP_HINT: Record<string, string> = {
  SupportBundleFailed: 'generating or uploading the bundle',
  SupportBundleTimeout: 'waiting for the bundle',
  ApplianceUnreachable: 'reaching the appliance',
  ApplianceCommandFailed: 'running an appliance command',
  ApplianceCommandTimeout: 'running an appliance command',
};

/** The outcome email: what ran, where, how long, and on failure the error, its output and what to do. */
function composeOutcome(
  state: SupportBundleState,
  nowMs: number,
): { note: Notification; outcome: SupportBundleOutcome['outcome']; durationSeconds: number } {
  const { request, bundle, check, replication, error } = state;
  const startedMs = bundle ? Date.parse(bundle.startedAt) : nowMs;
  const durationSeconds = Math.round((nowMs - startedMs) / 1000);
  const outcome = error ? 'failed' : 'uploaded';
  const lines: string[] = [];
  if (error) {
    lines.push(
      `The support bundle for GitHub Support ticket ${request.ticket} FAILED while ${STEP_HINT[error.Error] ?? 'running the workflow'}.`,
      '',
      `Error: ${error.Error}`,
      causeMessage(error.Cause),
      '',
    );
    if (error.Error === 'SupportBundleTimeout' || error.Error === 'States.Timeout') {
      lines.push(
        `State left: the bundle may still be running on ${request.target}; watch ${SUPPORT_BUNDLE_STATUS_FILE} there.`,
        '',
      );
    }
  } else {
    lines.push(
      `The support bundle for GitHub Support ticket ${request.ticket} was generated and uploaded to the ticket.`,
      '',
    );
  }
  lines.push('What ran:');
  lines.push(`  appliance: ${request.target} (${request.scope === 'cluster' ? 'whole cluster' : 'primary'})`);
  if (bundle) {
    lines.push(`  command:   ${bundle.command}`, `  started:   ${bundle.startedAt}`);
    lines.push(
      `  detached:  process ${bundle.pid ?? 'unknown'}, output in ${bundle.outputFile} on ${bundle.target}`,
    );
  }
  if (check?.state === 'complete') {
    lines.push(
      `  finished:  ${SUPPORT_BUNDLE_STATUS_FILE} said "${check.statusFile}" and the command exited ${check.exitStatus}`,
    );
  }
  lines.push(`  duration:  ${formatDuration(durationSeconds)}`);
  lines.push(
    `  covers:    ${request.extended ? 'extended (8 days)' : (request.period ?? '2days (default)')}`,
  );
  if (check?.output)
    lines.push('', 'Appliance output (last lines):', ...check.output.split('\n').map((l) => `  ${l}`));
  if (replication) {
    lines.push(
      '',
      `Replication status from ${replication.target} (exit code ${replication.replicationExitCode}) was uploaded to the same ticket:`,
      ...replication.replicationStatus.split('\n').map((l) => `  ${l}`),
    );
  } else if (request.attachReplicationStatus && !error) {
    lines.push('', 'The replication status was requested but not attached.');
  }
  lines.push('', '-- ghes-ops support-bundle workflow');
  const subject = `[ghes-ops] Support bundle for ticket ${request.ticket}: ${error ? `FAILED (${error.Error})` : 'uploaded'}`;
  return { note: { subject, text: lines.join('\n') }, outcome, durationSeconds };
}

export async function notifyOutcome(
  state: SupportBundleState,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'mailer'>,
): Promise<SupportBundleOutcome> {
  const { note, outcome, durationSeconds } = composeOutcome(state, deps.clock.now());
  const sent = await sendNotification(state.request.notify, note, deps);
  return { ticket: state.request.ticket, outcome, durationSeconds, ...sent };
}
