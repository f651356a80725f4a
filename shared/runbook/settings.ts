import { ConfigError } from '../errors.js';
import { PATTERNS } from '../validate.js';

/**
 * Deployment settings of the runbook workflows (tls-certificate, backup-health, jira-prefix-list):
 * WHERE they look, never WHAT an execution asks for. In AWS they come from environment variables
 * set in serverless.yml from params (only on the functions that read them); locally from the
 * default configuration (the sandbox). Execution inputs cannot change them: a caller who may
 * start an execution cannot point the workflow at another host, list or URL.
 */
export interface RunbookSettings {
  tls?: {
    /** The name GHES serves (SNI and the certificate's expected name). */
    hostname: string;
    /** Where to connect (default: the hostname); e.g. the appliance's private address. */
    connectHost?: string;
    port: number;
  };
  backup?: {
    mode: 'backup-utils' | 'builtin';
    /** The backup-utils host (EC2 instance id with SSM in AWS, host name locally). */
    host?: string;
    /** backup-utils GHE_DATA_DIR on that host. */
    dataDir: string;
    /** The EBS volume of the backups to snapshot after a healthy check (none: no snapshot). */
    ebsVolumeId?: string;
    /** Days the workflow's snapshots are kept. */
    snapshotRetentionDays: number;
  };
  jira?: {
    prefixListId: string;
    prefixListIdIpv6?: string;
    rangesUrl: string;
  };
}

export const ATLASSIAN_RANGES_URL = 'https://ip-ranges.atlassian.com/';
export const DEFAULT_BACKUP_DATA_DIR = '/data/backup-utils/data';
export const PREFIX_LIST_ID = /^pl-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const DATA_DIR = /^\/[A-Za-z0-9_./-]{0,200}$/;

type Env = Record<string, string | undefined>;
const v = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

/** Reads the runbook settings from the environment; absent sections stay absent. */
export function runbookFromEnv(env: Env): RunbookSettings {
  const out: RunbookSettings = {};
  const bad = (name: string, hint: string): never => {
    throw new ConfigError(
      `Environment variable ${name} ${hint}. Fix the param in serverless.yml and redeploy.`,
    );
  };
  const hostname = v(env, 'GHES_OPS_TLS_HOSTNAME');
  if (hostname) {
    if (!PATTERNS.host.test(hostname))
      bad('GHES_OPS_TLS_HOSTNAME', 'must be a host name such as github.example.com');
    const connectHost = v(env, 'GHES_OPS_TLS_CONNECT_HOST');
    if (connectHost && !PATTERNS.host.test(connectHost))
      bad('GHES_OPS_TLS_CONNECT_HOST', 'must be a host name or IPv4 address');
    const port = Number(v(env, 'GHES_OPS_TLS_PORT') ?? '443');
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      bad('GHES_OPS_TLS_PORT', 'must be a port number');
    out.tls = { hostname, port, ...(connectHost ? { connectHost } : {}) };
  }
  const mode = v(env, 'GHES_OPS_BACKUP_MODE');
  if (mode) {
    if (mode !== 'backup-utils' && mode !== 'builtin')
      bad('GHES_OPS_BACKUP_MODE', 'must be "backup-utils" or "builtin"');
    const host = v(env, 'GHES_OPS_BACKUP_HOST');
    if (host && !(PATTERNS.instanceId.test(host) || PATTERNS.host.test(host)))
      bad('GHES_OPS_BACKUP_HOST', 'must be the backup host: an EC2 instance id');
    const dataDir = v(env, 'GHES_OPS_BACKUP_DATA_DIR') ?? DEFAULT_BACKUP_DATA_DIR;
    if (!DATA_DIR.test(dataDir) || dataDir.includes('..'))
      bad('GHES_OPS_BACKUP_DATA_DIR', 'must be an absolute path');
    const ebsVolumeId = v(env, 'GHES_OPS_BACKUP_VOLUME_ID');
    if (ebsVolumeId && !/^vol-[0-9a-f]{8}(?:[0-9a-f]{9})?$/.test(ebsVolumeId))
      bad('GHES_OPS_BACKUP_VOLUME_ID', 'must be an EBS volume id such as vol-0123456789abcdef0');
    const snapshotRetentionDays = Number(v(env, 'GHES_OPS_BACKUP_SNAPSHOT_RETENTION_DAYS') ?? '7');
    if (!Number.isInteger(snapshotRetentionDays) || snapshotRetentionDays < 1 || snapshotRetentionDays > 3650)
      bad('GHES_OPS_BACKUP_SNAPSHOT_RETENTION_DAYS', 'must be a number of days from 1 to 3650');
    out.backup = {
      mode: mode as 'backup-utils' | 'builtin',
      dataDir,
      snapshotRetentionDays,
      ...(host ? { host } : {}),
      ...(ebsVolumeId ? { ebsVolumeId } : {}),
    };
  }
  const prefixListId = v(env, 'GHES_OPS_JIRA_PREFIX_LIST_ID');
  if (prefixListId) {
    if (!PREFIX_LIST_ID.test(prefixListId))
      bad('GHES_OPS_JIRA_PREFIX_LIST_ID', 'must be a prefix list id such as pl-0123456789abcdef0');
    const v6 = v(env, 'GHES_OPS_JIRA_PREFIX_LIST_ID_IPV6');
    if (v6 && !PREFIX_LIST_ID.test(v6)) bad('GHES_OPS_JIRA_PREFIX_LIST_ID_IPV6', 'must be a prefix list id');
    const rangesUrl = v(env, 'GHES_OPS_JIRA_RANGES_URL') ?? ATLASSIAN_RANGES_URL;
    if (!/^https:\/\/[A-Za-z0-9.-]+(:[0-9]+)?\/[A-Za-z0-9._~/-]*$/.test(rangesUrl))
      bad('GHES_OPS_JIRA_RANGES_URL', 'must be an https URL');
    out.jira = { prefixListId, rangesUrl, ...(v6 ? { prefixListIdIpv6: v6 } : {}) };
  }
  return out;
}

/** The section a workflow needs, or a ConfigError that says which params to set. */
export function runbookSection<K extends keyof RunbookSettings>(
  settings: RunbookSettings | undefined,
  key: K,
  hint: string,
): NonNullable<RunbookSettings[K]> {
  const section = settings?.[key];
  if (!section) throw new ConfigError(`The ${key} settings are not configured: ${hint}`);
  return section;
}
