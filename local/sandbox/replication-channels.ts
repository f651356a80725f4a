/**
 * Replication channels of a replica, as `ghe-repl-status` reports them: one Nagios-style line per
 * datastore stream (`STATUS: summary`) and detail lines shown under `-v` (and more under `-vv`).
 * The builders produce the texts of the reference (docs.github.com for mysql, redis, elasticsearch,
 * git and pages; field reports for the channels newer releases added).
 */
export type ChannelStatus = 'OK' | 'WARNING' | 'CRITICAL';

export interface ReplicationChannel {
  /** Datastore: mysql, mssql, redis, elasticsearch, git, pages, alambic, git-hooks, consul. */
  readonly name: string;
  readonly status: ChannelStatus;
  /** The text after `STATUS: ` on the channel's line. */
  readonly summary: string;
  /** Detail lines under `-v` (printed after `  | `). */
  readonly details: readonly string[];
  /** Detail lines under `-vv` (the complete list, usually a superset of `details`). */
  readonly verboseDetails: readonly string[];
}

const channel = (
  name: string,
  status: ChannelStatus,
  summary: string,
  details: string[],
  verboseDetails: string[] = details,
): ReplicationChannel =>
  Object.freeze({
    name,
    status,
    summary,
    details: Object.freeze(details),
    verboseDetails: Object.freeze(verboseDetails),
  });

/** MySQL: `in sync`, or a delay in seconds (WARNING from 10 s, CRITICAL from 300 s). */
export function mysqlChannel(opts: { primary: string; delaySeconds?: number }): ReplicationChannel {
  const delay = opts.delaySeconds ?? 0;
  const status: ChannelStatus = delay >= 300 ? 'CRITICAL' : delay >= 10 ? 'WARNING' : 'OK';
  const summary = status === 'OK' ? 'mysql replication in sync' : `mysql replication delay is ${delay}s`;
  const io = `IO running: Yes, SQL running: Yes, Delay: ${delay}`;
  return channel(
    'mysql',
    status,
    summary,
    [io],
    [
      io,
      `Master_Host: ${opts.primary}, Master_Port: 3306, Seconds_Behind_Master: ${delay}`,
      `Master_Log_File: mysql-bin.000842, Read_Master_Log_Pos: 73401542, Exec_Master_Log_Pos: ${73401542 - delay * 1024}`,
    ],
  );
}

const MSSQL_REPLICA_ID = '89C7EA2B-4F66-4764-8EDF-93D4456E50E8';

/** MSSQL (GitHub Actions' databases). */
function mssqlChannel(): ReplicationChannel {
  const db = (name: string, id: number): string =>
    `${name} State: SYNCHRONIZING, Health: HEALTHY, Delay: 0ms, Replica ID: ${MSSQL_REPLICA_ID}, Database ID: ${id}`;
  const details = [db('Token_Configuration', 12), db('Pipelines_Configuration', 11)];
  return channel('mssql', 'OK', 'mssql replication is in sync', details, [
    ...details,
    db('Mps_Configuration', 10),
    db('ArtifactCache_Configuration', 9),
  ]);
}

function redisChannel(opts: { primary: string }): ReplicationChannel {
  const details = [
    `master_host:${opts.primary}`,
    'master_port:6379',
    'master_link_status:up',
    'master_last_io_seconds_ago:3',
    'master_sync_in_progress:0',
  ];
  return channel('redis', 'OK', 'redis replication is in sync', details, [
    ...details,
    'master_replid:cdcfe93471d9efc7c38e6e81b9708e22c3fd1e9c',
    'master_replid2:0000000000000000000000000000000000000000',
    'master_repl_offset:2799127571',
  ]);
}

function elasticsearchChannel(): ReplicationChannel {
  const fields: [string, string][] = [
    ['cluster_name', '"github-enterprise"'],
    ['status', '"green"'],
    ['timed_out', 'false'],
    ['number_of_nodes', '2'],
    ['number_of_data_nodes', '2'],
    ['active_primary_shards', '12'],
    ['active_shards', '24'],
    ['relocating_shards', '0'],
    ['initializing_shards', '0'],
    ['unassigned_shards', '0'],
  ];
  const more: [string, string][] = [
    ['delayed_unassigned_shards', '0'],
    ['number_of_pending_tasks', '0'],
    ['number_of_in_flight_fetch', '0'],
    ['task_max_waiting_in_queue_millis', '0'],
    ['active_shards_percent_as_number', '100.0'],
  ];
  const json = (f: [string, string][]): string[] => [
    '{',
    ...f.map(([k, v], i) => `  "${k}" : ${v}${i < f.length - 1 ? ',' : ''}`),
    '}',
  ];
  return channel(
    'elasticsearch',
    'OK',
    'elasticsearch cluster is in sync',
    json(fields),
    json([...fields, ...more]),
  );
}

export interface GitCounts {
  repos?: number;
  wikis?: number;
  gists?: number;
  /** Items not yet replicated, per kind. */
  pendingRepos?: number;
  pendingWikis?: number;
  pendingGists?: number;
  /** Average delay of the pending items, seconds. */
  delaySeconds?: number;
}

/**
 * Git: `in sync (N repos, N wikis, N gists)`, or behind the primary by the pending count (WARNING
 * below 100, CRITICAL from 100), with the TOTAL/OK/FAULT/PENDING/DELAY table as detail.
 */
export function gitChannel(counts: GitCounts = {}): ReplicationChannel {
  const repos = counts.repos ?? 366;
  const wikis = counts.wikis ?? 31;
  const gists = counts.gists ?? 851;
  const pr = counts.pendingRepos ?? 0;
  const pw = counts.pendingWikis ?? 0;
  const pg = counts.pendingGists ?? 0;
  const pending = pr + pw + pg;
  const delay = counts.delaySeconds ?? 0;
  const status: ChannelStatus = pending === 0 ? 'OK' : pending >= 100 ? 'CRITICAL' : 'WARNING';
  const summary =
    status === 'OK'
      ? `git data is in sync (${repos} repos, ${wikis} wikis, ${gists} gists)`
      : `git replication is behind the primary by ${pending} repositories and/or gists`;
  const row = (label: string, total: number, p: number): string =>
    label.padStart(12) +
    [total, total - p, 0, p].map((n) => String(n).padStart(11)).join('') +
    (p > 0 ? delay : 0).toFixed(1).padStart(11);
  const table = [
    ' '.repeat(12) + ['TOTAL', 'OK', 'FAULT', 'PENDING', 'DELAY'].map((h) => h.padStart(11)).join(''),
    row('repositories', repos, pr),
    row('wikis', wikis, pw),
    row('gists', gists, pg),
    row('total', repos + wikis + gists, pending),
  ];
  const verbose = [...table];
  if (pending > 0)
    verbose.push(`${pending} items waiting for replication; oldest pending ${Math.round(delay * 2)}s`);
  return channel('git', status, summary, table, verbose);
}

function pagesChannel(): ReplicationChannel {
  return channel('pages', 'OK', 'pages data is in sync', ['Pages are in sync']);
}

function alambicChannel(): ReplicationChannel {
  return channel('alambic', 'OK', 'alambic replication is in sync', ['Alambic replication is in sync']);
}

function gitHooksChannel(): ReplicationChannel {
  return channel('git-hooks', 'OK', 'git-hooks replication is in sync', ['git-hooks replication is in sync']);
}

function consulChannel(): ReplicationChannel {
  const active = 'Active: active (running) since Tue 2025-05-13 08:02:51 UTC; 2 weeks 6 days ago';
  return channel(
    'consul',
    'OK',
    'consul replication is in sync',
    [active],
    [active, 'Members: 2 alive, 0 failed, 0 left'],
  );
}

/** Every channel of a GHES 3.17 replica (with GitHub Actions enabled), all in sync. */
export function healthyChannels(primary: string): ReplicationChannel[] {
  return [
    mysqlChannel({ primary }),
    mssqlChannel(),
    redisChannel({ primary }),
    elasticsearchChannel(),
    gitChannel(),
    pagesChannel(),
    alambicChannel(),
    gitHooksChannel(),
    consulChannel(),
  ];
}

/** The `replica-lagging` scenario: MySQL 29 s behind (WARNING), Git 150 items behind (CRITICAL). */
export function laggingChannels(primary: string): ReplicationChannel[] {
  return healthyChannels(primary).map((c) =>
    c.name === 'mysql'
      ? mysqlChannel({ primary, delaySeconds: 29 })
      : c.name === 'git'
        ? gitChannel({ pendingRepos: 120, pendingGists: 30, delaySeconds: 412.7 })
        : c,
  );
}

/** The `replica-warning` scenario: only MySQL warns, 29 s behind (within the default 30 s limit). */
export function warningChannels(primary: string): ReplicationChannel[] {
  return healthyChannels(primary).map((c) =>
    c.name === 'mysql' ? mysqlChannel({ primary, delaySeconds: 29 }) : c,
  );
}

/** `ghe-repl-status` exit status: 2 when any channel is CRITICAL, 1 when any is WARNING, else 0. */
export function replStatusExitCode(channels: readonly ReplicationChannel[]): number {
  if (channels.some((c) => c.status === 'CRITICAL')) return 2;
  if (channels.some((c) => c.status === 'WARNING')) return 1;
  return 0;
}
