/**
 * Parses `ghe-repl-status` (any verbosity): one `STATUS: summary` line per datastore stream, with
 * `  | detail` lines under -v/-vv. The format is only partly documented and varies between
 * releases (see tests/fixtures/appliance/repl-status-*.txt), so the parser reads defensively:
 * every line it does not understand is kept, and a verdict needs at least one channel.
 */
export type ChannelStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export interface Channel {
  /** Datastore (`mysql`, `git`, ...), or `replication` for "replication is not running". */
  name: string;
  status: ChannelStatus;
  /** The channel's line as printed (`CRITICAL: git replication is behind ...`). */
  line: string;
  details: string[];
  /** Seconds behind the primary, when the output says (mysql delay, git DELAY column). */
  lagSeconds?: number;
  /** Items not yet replicated (git repositories, wikis and gists). */
  pendingItems?: number;
}

export interface ReplStatus {
  channels: Channel[];
  /** True when the output says replication is stopped / not running. */
  notRunning: boolean;
  /** True when the appliance says it is not a replica (replica mode not configured). */
  notAReplica: boolean;
  /** Lines that are neither channel nor detail lines. */
  other: string[];
}

const STATUS_LINE = /^(OK|WARNING|CRITICAL|UNKNOWN):\s+(.*)$/;
const DETAIL_LINE = /^\s+\|\s?(.*)$/;
const NOT_A_REPLICA =
  /replica mode is not configured|replication is not configured|not a replica|is not configured as a replica/i;
const NOT_RUNNING = /replication is not running|replication is stopped/i;

function channelName(summary: string): string {
  if (NOT_RUNNING.test(summary)) return 'replication';
  const first = /^([a-z][a-z0-9-]*)\b/i.exec(summary.trim());
  return (first?.[1] ?? 'unknown').toLowerCase();
}

export function parseReplStatus(text: string): ReplStatus {
  const out: ReplStatus = { channels: [], notRunning: false, notAReplica: false, other: [] };
  let current: Channel | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (!line.trim()) continue;
    const status = STATUS_LINE.exec(line);
    if (status) {
      const [, st, summary = ''] = status;
      current = { name: channelName(summary), status: st as ChannelStatus, line, details: [] };
      const mysql = /delay is (\d+(?:\.\d+)?)\s*s/i.exec(summary);
      if (mysql) current.lagSeconds = Number(mysql[1]);
      const git = /behind the primary by (\d+)/i.exec(summary);
      if (git) current.pendingItems = Number(git[1]);
      if (NOT_RUNNING.test(summary)) out.notRunning = true;
      out.channels.push(current);
      continue;
    }
    const detail = DETAIL_LINE.exec(line);
    if (detail && current) {
      const d = detail[1] ?? '';
      current.details.push(d);
      // git table: "total  1248  1098  0  150  412.7" (TOTAL OK FAULT PENDING DELAY)
      const total = /^\s*total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+(?:\.\d+)?)\s*$/.exec(d);
      if (total) {
        current.pendingItems = Number(total[4]);
        if (Number(total[4]) > 0) current.lagSeconds = Number(total[5]);
      }
      const seconds = /Seconds_Behind_Master:\s*(\d+)/.exec(d) ?? /\bDelay:\s*(\d+)\s*$/.exec(d);
      if (seconds && current.name === 'mysql')
        current.lagSeconds = Math.max(current.lagSeconds ?? 0, Number(seconds[1]));
      continue;
    }
    if (NOT_A_REPLICA.test(line)) out.notAReplica = true;
    if (NOT_RUNNING.test(line)) out.notRunning = true;
    out.other.push(line);
  }
  return out;
}

export interface ReplicationVerdict {
  healthy: boolean;
  /** Every channel whose status or lag blocks a failover, with its line and details. */
  problems: { channel: string; line: string; why: string; details: string[] }[];
  /** WARNING channels that pass because their measured lag is within the limit, said so. */
  accepted: { channel: string; line: string; why: string }[];
}

/**
 * The replication gate, the same documented policy before the failover (preflight) and after the
 * drain: unhealthy when replication is not running, nothing could be parsed, any channel is
 * CRITICAL or UNKNOWN, lags more than `maxLagSeconds`, or warns without a lag figure (a warning we
 * cannot measure is not assumed harmless). A WARNING with a measured lag within the limit passes,
 * and is listed in `accepted` so that the run says so.
 */
export function judgeReplication(status: ReplStatus, maxLagSeconds: number): ReplicationVerdict {
  const problems: ReplicationVerdict['problems'] = [];
  const accepted: ReplicationVerdict['accepted'] = [];
  if (status.notAReplica)
    problems.push({
      channel: 'replication',
      line: status.other.find((l) => NOT_A_REPLICA.test(l)) ?? 'not a replica',
      why: 'the target is not a replica',
      details: [],
    });
  if (status.notRunning && !problems.length)
    problems.push({
      channel: 'replication',
      line: 'replication is not running',
      why: 'replication is not running',
      details: [],
    });
  if (status.channels.length === 0 && !problems.length)
    problems.push({
      channel: '(none)',
      line: status.other.slice(0, 3).join(' / ') || '(no output)',
      why: 'no replication channel could be read',
      details: [],
    });
  for (const c of status.channels) {
    if (c.name === 'replication') continue;
    let why: string | undefined;
    if (c.status === 'CRITICAL' || c.status === 'UNKNOWN') why = c.status;
    else if (c.lagSeconds !== undefined && c.lagSeconds > maxLagSeconds)
      why = `lag ${c.lagSeconds}s exceeds the limit of ${maxLagSeconds}s`;
    else if (c.status === 'WARNING' && c.lagSeconds === undefined) why = 'WARNING without a measurable lag';
    else if (c.status === 'WARNING')
      accepted.push({
        channel: c.name,
        line: c.line,
        why: `WARNING accepted: lag ${c.lagSeconds}s is within the limit of ${maxLagSeconds}s (maxReplicationLagSeconds)`,
      });
    if (why) problems.push({ channel: c.name, line: c.line, why, details: c.details.slice(0, 8) });
  }
  return { healthy: problems.length === 0, problems, accepted };
}

/** The accepted warnings as one line each (for the timeline and the drain's progress). */
export function describeAccepted(verdict: ReplicationVerdict): string {
  return verdict.accepted.map((a) => `${a.channel}: ${a.why} (${a.line})`).join('; ');
}

/** The problems as text for errors and emails: each channel's line and its details. */
export function describeProblems(verdict: ReplicationVerdict): string {
  return verdict.problems
    .map((p) =>
      [`- ${p.channel}: ${p.why}`, `    ${p.line}`, ...p.details.map((d) => `      | ${d}`)].join('\n'),
    )
    .join('\n');
}
