import { command, renderShell, type ApplianceCommand } from '../appliance/command.js';
import type { CommandResult } from '../appliance/runner.js';
import type { Deps } from '../runtime/deps.js';
import { outputTail } from '../support-bundle/output.js';
import type { BackupHealthRequest } from './request.js';

/** The built-in backup service's files on the appliance (../shared/reference/ghes-appliance.md). */
export const BUILTIN_LOG_DIR = '/var/log/github-backup';
export const BUILTIN_IN_PROGRESS = '/data/user/common/backup_utils_in_progress';
/** backup-utils snapshot directory names: `date +%Y%m%dT%H%M%S` (UTC on the backup host assumed). */
const SNAPSHOT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/;

export interface Finding {
  /** The error name the execution fails with when this is the worst finding. */
  error:
    | 'BackupStale'
    | 'BackupIncomplete'
    | 'BackupLockStale'
    | 'BackupDiskFull'
    | 'BackupHostCheckFailed'
    | 'BackupFailed';
  text: string;
  fix: string;
}

export interface CommandRun {
  command: string;
  exitCode: number;
  output: string;
}

export interface BackupHealth {
  mode: BackupHealthRequest['mode'];
  target: string;
  checkedAt: string;
  newestComplete?: { name: string; ageHours: number };
  snapshots: number;
  incomplete: string[];
  lock?: { snapshot: string; pid?: string; ageHours: number };
  diskUsedPercent?: number;
  hostCheck?: CommandRun;
  healthcheck?: CommandRun;
  lastLog?: { file: string; result: 'success' | 'failed' | 'unknown'; tail: string };
  runs: CommandRun[];
  findings: Finding[];
  verdict: { ok: boolean; error?: string; cause?: string };
}

export function snapshotTime(name: string): number | undefined {
  const m = SNAPSHOT.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map<number>(Number);
  return Date.UTC(y!, mo! - 1, d, h, mi, s);
}

/** `df -P DIR`: the Capacity column of the last line, in percent. */
export function parseDfPercent(stdout: string): number | undefined {
  const lines = stdout.trim().split('\n');
  if (lines.length < 2) return undefined;
  const m = /\s(\d{1,3})%\s+\S+\s*$/.exec(lines[lines.length - 1]!);
  return m ? Number(m[1]) : undefined;
}

const basename = (p: string): string => p.replace(/\/+$/, '').split('/').pop() ?? p;
const hours = (ms: number): number => Math.round((ms / 3_600_000) * 10) / 10;

/**
 * Read-only checks of the backups, then findings against the thresholds. backup-utils, on the
 * backup host: the snapshots (`ls`), `current` (the newest complete one), `incomplete` markers,
 * the `in-progress` lock, disk use, `ghe-host-check`. Built-in service, on the primary: the newest
 * `backup-verbose-YYYYMMDD.log` and its last lines, the in-progress marker's age,
 * `ghe-backup-healthcheck` when the version has it.
 */
export async function checkBackupHealth(
  request: BackupHealthRequest,
  deps: Pick<Deps, 'runner' | 'clock' | 'log'>,
): Promise<BackupHealth> {
  const runs: CommandRun[] = [];
  const run = async (cmd: ApplianceCommand, timeoutSeconds = 60): Promise<CommandResult> => {
    const r = await deps.runner.run(request.target, cmd, { timeoutSeconds });
    runs.push({
      command: renderShell(cmd),
      exitCode: r.exitCode,
      output: outputTail([r.stdout, r.stderr].filter(Boolean).join('\n'), 15, 1500),
    });
    return r;
  };
  const now = deps.clock.now();
  const findings: Finding[] = [];
  const out: Omit<BackupHealth, 'findings' | 'verdict' | 'runs'> = {
    mode: request.mode,
    target: request.target,
    checkedAt: new Date(now).toISOString(),
    snapshots: 0,
    incomplete: [],
  };
  if (request.mode === 'backup-utils') {
    const dir = request.dataDir;
    const ls = await run(command('ls', '-1', dir));
    const names =
      ls.exitCode === 0
        ? ls.stdout
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
        : [];
    const snaps = names.filter((n) => snapshotTime(n) !== undefined).sort();
    out.snapshots = snaps.length;
    const incomplete = await run(
      command('find', dir, '-mindepth', '2', '-maxdepth', '2', '-name', 'incomplete'),
    );
    out.incomplete = incomplete.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((p) => basename(p.replace(/\/incomplete$/, '')))
      .sort();
    const current = names.includes('current') ? await run(command('readlink', `${dir}/current`)) : undefined;
    const currentName = current?.exitCode === 0 ? basename(current.stdout.trim()) : undefined;
    const completeTime = currentName ? snapshotTime(currentName) : undefined;
    if (currentName && completeTime !== undefined)
      out.newestComplete = { name: currentName, ageHours: hours(now - completeTime) };
    if (!out.newestComplete)
      findings.push({
        error: 'BackupStale',
        text: `No complete snapshot: ${dir}/current ${ls.exitCode !== 0 ? `cannot be listed (ls exited ${ls.exitCode})` : 'does not exist'}.`,
        fix: `Check GHE_DATA_DIR on ${request.target} and run ghe-backup by hand.`,
      });
    else if (out.newestComplete.ageHours > request.maxAgeHours)
      findings.push({
        error: 'BackupStale',
        text: `The newest complete snapshot (${currentName}) is ${out.newestComplete.ageHours} hours old, more than ${request.maxAgeHours}.`,
        fix: `Check the cron job of ghe-backup on ${request.target} and its log; run ghe-backup by hand.`,
      });
    const newest = snaps[snaps.length - 1];
    if (newest && out.incomplete.includes(newest))
      findings.push({
        error: 'BackupIncomplete',
        text: `The newest snapshot ${newest} is incomplete ("Snapshot incomplete. Some steps failed"); current still points at ${currentName ?? 'nothing'}.`,
        fix: `Read the ghe-backup output of ${newest} on ${request.target}, fix the failed step, run ghe-backup again; remove the incomplete snapshot once a new one completes.`,
      });
    if (names.includes('in-progress')) {
      const lock = await run(command('cat', `${dir}/in-progress`));
      const [snapshot = '', pid] = lock.stdout.trim().split(/\s+/);
      const started = snapshotTime(snapshot);
      if (started !== undefined) {
        out.lock = { snapshot, ...(pid ? { pid } : {}), ageHours: hours(now - started) };
        if (out.lock.ageHours > request.staleLockHours)
          findings.push({
            error: 'BackupLockStale',
            text: `${dir}/in-progress is ${out.lock.ageHours} hours old (snapshot ${snapshot}${pid ? `, pid ${pid}` : ''}): every later ghe-backup stops at it.`,
            fix: `On ${request.target}: if no ghe-backup process${pid ? ` (pid ${pid})` : ''} is running, remove ${dir}/in-progress and the ${snapshot} directory, then run ghe-backup.`,
          });
      }
    }
    const df = await run(command('df', '-P', dir));
    const used = df.exitCode === 0 ? parseDfPercent(df.stdout) : undefined;
    if (used !== undefined) out.diskUsedPercent = used;
    if (used !== undefined && used >= request.diskPercent)
      findings.push({
        error: 'BackupDiskFull',
        text: `The backup volume of ${dir} is ${used}% full (threshold ${request.diskPercent}%).`,
        fix: `Grow the volume, or lower GHE_NUM_SNAPSHOTS in backup.config (10 by default) so that ghe-prune-snapshots keeps fewer.`,
      });
    const hostCheck = await run(command('ghe-host-check'), 120);
    out.hostCheck = runs[runs.length - 1]!;
    if (hostCheck.exitCode !== 0)
      findings.push({
        error: 'BackupHostCheckFailed',
        text: `ghe-host-check failed on ${request.target} (exit code ${hostCheck.exitCode}).`,
        fix: 'See its output below: the backup host cannot reach the appliance on port 122 with its key, or the versions do not match.',
      });
  } else {
    const ls = await run(command('ls', '-1', BUILTIN_LOG_DIR));
    const logs = ls.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^backup-verbose-\d{8}\.log$/.test(l))
      .sort();
    const latest = logs[logs.length - 1];
    if (!latest)
      findings.push({
        error: 'BackupStale',
        text: `No backup log in ${BUILTIN_LOG_DIR} on ${request.target}: the built-in backup service has not run.`,
        fix: 'Check the backup service settings in the Management Console (Backups).',
      });
    else {
      const day = /(\d{4})(\d{2})(\d{2})/.exec(latest)!;
      const dayStart = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
      const tail = await run(command('tail', '-n', '40', `${BUILTIN_LOG_DIR}/${latest}`));
      const text = tail.stdout;
      const failedLine = text
        .split('\n')
        .reverse()
        .find((l) => /\b(error|failed|failure)\b/i.test(l));
      const okLine = text
        .split('\n')
        .reverse()
        .find((l) => /\b(complete|completed|succeeded|success)\b/i.test(l));
      const result =
        failedLine && (!okLine || text.lastIndexOf(failedLine) > text.lastIndexOf(okLine))
          ? 'failed'
          : okLine
            ? 'success'
            : 'unknown';
      out.lastLog = { file: `${BUILTIN_LOG_DIR}/${latest}`, result, tail: outputTail(text, 15, 1500) };
      if (result === 'failed')
        findings.push({
          error: 'BackupFailed',
          text: `The latest backup log reports a failure: ${failedLine!.trim().slice(0, 300)}`,
          fix: `Read ${BUILTIN_LOG_DIR}/${latest} on the appliance.`,
        });
      // The log is per day: older than the threshold plus one day means no backup ran since.
      if (hours(now - dayStart) > request.maxAgeHours + 24)
        findings.push({
          error: 'BackupStale',
          text: `The latest backup log is ${latest}: no backup for more than ${request.maxAgeHours} hours.`,
          fix: 'Check the backup service schedule in the Management Console.',
        });
    }
    const marker = await run(command('stat', '-c', '%Y', BUILTIN_IN_PROGRESS));
    if (marker.exitCode === 0 && /^\d+$/.test(marker.stdout.trim())) {
      const age = hours(now - Number(marker.stdout.trim()) * 1000);
      out.lock = { snapshot: BUILTIN_IN_PROGRESS, ageHours: age };
      if (age > request.staleLockHours)
        findings.push({
          error: 'BackupLockStale',
          text: `${BUILTIN_IN_PROGRESS} is ${age} hours old: a backup is stuck or died.`,
          fix: 'Check the backup service in the Management Console; remove the marker only when no backup runs.',
        });
    }
    const hc = await run(command('ghe-backup-healthcheck'), 120);
    out.healthcheck = runs[runs.length - 1]!;
    if (hc.exitCode !== 0 && hc.exitCode !== 127)
      findings.push({
        error: 'BackupFailed',
        text: `ghe-backup-healthcheck failed (exit code ${hc.exitCode}).`,
        fix: 'See its output below (it errors at 90% disk).',
      });
  }
  const verdict = findings.length
    ? { ok: false, error: findings[0]!.error, cause: findings.map((f) => f.text).join(' ') }
    : { ok: true };
  deps.log.info('backup health checked', {
    mode: request.mode,
    target: request.target,
    findings: findings.map((f) => f.error),
  });
  return { ...out, runs, findings, verdict };
}
