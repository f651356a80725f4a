import { causeMessage, type ErrorInfo } from '../errors.js';
import { sendNotification, type Notification, type NotifyResult } from '../mail/notify.js';
import type { Deps } from '../runtime/deps.js';
import type { BackupHealth } from './check.js';
import type { BackupHealthRequest } from './request.js';
import type { SnapshotResult } from './snapshot.js';

export interface BackupHealthState {
  request: BackupHealthRequest;
  check?: BackupHealth;
  snapshot?: SnapshotResult | { skipped: string };
  error?: ErrorInfo;
}

export interface BackupHealthResult extends NotifyResult {
  outcome: 'healthy' | 'unhealthy' | 'failed';
}

/** The mail: the state of the backups, each problem with what to do, and what ran. */
export function composeBackupOutcome(state: BackupHealthState): {
  note: Notification;
  outcome: BackupHealthResult['outcome'];
} {
  const { request: r, check, snapshot, error } = state;
  const where =
    r.mode === 'backup-utils' ? `backup-utils on ${r.target}` : `the built-in backup service on ${r.target}`;
  const lines: string[] = [];
  let outcome: BackupHealthResult['outcome'];
  let summary: string;
  if (error) {
    outcome = 'failed';
    summary = `check FAILED (${error.Error})`;
    lines.push(
      `The backup check of ${where} could not be completed.`,
      '',
      `Error: ${error.Error}`,
      causeMessage(error.Cause),
      '',
    );
  } else if (check && check.findings.length) {
    outcome = 'unhealthy';
    summary = `PROBLEM (${check.findings.map((f) => f.error).join(', ')})`;
    lines.push(`The backups of GHES need attention (${where}):`, '');
    for (const f of check.findings) lines.push(`* ${f.error}: ${f.text}`, `  What to do: ${f.fix}`, '');
  } else {
    outcome = 'healthy';
    summary = check?.newestComplete ? `healthy, newest ${check.newestComplete.ageHours} h old` : 'healthy';
    lines.push(`The backups of GHES are healthy (${where}).`, '');
  }
  if (check) {
    lines.push('What was found:');
    if (check.newestComplete)
      lines.push(
        `  newest complete snapshot: ${check.newestComplete.name} (${check.newestComplete.ageHours} hours old; threshold ${r.maxAgeHours})`,
      );
    if (r.mode === 'backup-utils')
      lines.push(`  snapshots: ${check.snapshots}; incomplete: ${check.incomplete.join(', ') || 'none'}`);
    lines.push(
      `  in-progress lock: ${check.lock ? `${check.lock.snapshot}, ${check.lock.ageHours} hours old` : 'none'}`,
    );
    if (check.diskUsedPercent !== undefined)
      lines.push(`  disk: ${check.diskUsedPercent}% used (threshold ${r.diskPercent}%)`);
    if (check.lastLog) lines.push(`  latest log: ${check.lastLog.file} (${check.lastLog.result})`);
    if (snapshot && 'snapshotId' in snapshot)
      lines.push(
        `  EBS snapshot: ${snapshot.snapshotId} of ${snapshot.volumeId}, kept until ${snapshot.expiresAt}${snapshot.deleted.length ? `; expired ones deleted: ${snapshot.deleted.join(', ')}` : ''}`,
      );
    else if (r.snapshot && !error)
      lines.push(`  EBS snapshot of ${r.snapshot.volumeId}: not taken (the check found problems)`);
    lines.push('', 'What ran (read-only):');
    for (const run of check.runs) {
      lines.push(`  $ ${run.command}   (exit ${run.exitCode})`);
      if (run.exitCode !== 0 || run.command.startsWith('ghe-'))
        lines.push(
          ...run.output
            .split('\n')
            .filter(Boolean)
            .map((l) => `    ${l}`),
        );
    }
  }
  lines.push('', '-- ghes-ops backup-health workflow');
  return { note: { subject: `[ghes-ops] GHES backups: ${summary}`, text: lines.join('\n') }, outcome };
}

export async function notifyBackupOutcome(state: BackupHealthState, deps: Deps): Promise<BackupHealthResult> {
  const { note, outcome } = composeBackupOutcome(state);
  return { outcome, ...(await sendNotification(state.request.notify, note, deps)) };
}
