import { createHash } from 'node:crypto';
import type { ReplicationChannel } from './replication-channels.js';

/**
 * The mutable state of one simulated appliance. Only the sandbox and its commands change it; tests
 * read it through `sandbox.appliance(name)`, a frozen snapshot.
 */
export type Role = 'primary' | 'replica' | 'standalone';

export interface FileEntry {
  /** Text content (binary files such as bundles hold a short placeholder). */
  content: string;
  /** Size in bytes. */
  size: number;
}

/** A node of the high availability configuration, as this appliance knows it. */
export interface ClusterNode {
  uuid: string;
  hostname: string;
}

export interface ReplicaConfig {
  /** Name of the primary this replica replicates from. */
  primary: string;
  /** False once replication has been stopped (e.g. by a promotion that failed half way). */
  running: boolean;
  channels: ReplicationChannel[];
}

/** The counts the maintenance page shows; a drain waits until they are all zero. */
export interface DrainCounters {
  gitOperations: number;
  mysqlQueries: number;
  resqueJobs: number;
}

export interface ApplianceState {
  readonly name: string;
  role: Role;
  /** Up and reachable. A node that is down answers neither SSH nor HTTPS. */
  up: boolean;
  readonly uuid: string;
  version: string;
  readonly arch: string;
  /** Maintenance mode; `since` is the virtual time (ms) it was set. */
  maintenance: { enabled: boolean; since: number | null };
  /** Activity while not in maintenance mode (what a drain brings to zero). */
  load: DrainCounters;
  replication: ReplicaConfig | null;
  clusterNodes: ClusterNode[];
  files: Map<string, FileEntry>;
  /** Exclusive activities running on the node (`support-bundle`, `promote`). */
  busy: Set<string>;
  /** Until this virtual time (ms) new SSH connections are refused (a dropped network path). */
  refuseConnectionsUntil?: number;
}

export const UUID_FILE = '/data/user/common/uuid';
export const BUNDLE_STATUS_FILE = '/tmp/ghe-support-bundle-status';

/** A stable UUID (version 5 layout) per appliance name, so fixtures and tests can rely on it. */
export function applianceUuid(name: string): string {
  const h = createHash('sha1').update(`ghes-ops-sandbox:${name}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function textFile(content: string): FileEntry {
  return { content, size: Buffer.byteLength(content, 'utf8') };
}

export function createAppliance(name: string, role: Role, version: string): ApplianceState {
  const uuid = applianceUuid(name);
  return {
    name,
    role,
    up: true,
    uuid,
    version,
    arch: 'x86_64',
    maintenance: { enabled: false, since: null },
    load:
      role === 'replica'
        ? { gitOperations: 0, mysqlQueries: 0, resqueJobs: 0 }
        : { gitOperations: 12, mysqlQueries: 233, resqueJobs: 54 },
    replication: null,
    clusterNodes: [{ uuid, hostname: name }],
    files: new Map([[UUID_FILE, textFile(`${uuid}\n`)]]),
    busy: new Set(),
  };
}

/**
 * The drain counters at virtual time `now`: the node's load, falling linearly to zero over
 * `drainSeconds` after maintenance mode was set (rounded up, so zero means really drained).
 */
export function drainCounters(node: ApplianceState, now: number, drainSeconds: number): DrainCounters {
  const { enabled, since } = node.maintenance;
  if (!enabled || since === null) return { ...node.load };
  const left = drainSeconds <= 0 ? 0 : Math.max(0, 1 - (now - since) / (drainSeconds * 1000));
  return {
    gitOperations: Math.ceil(node.load.gitOperations * left),
    mysqlQueries: Math.ceil(node.load.mysqlQueries * left),
    resqueJobs: Math.ceil(node.load.resqueJobs * left),
  };
}
