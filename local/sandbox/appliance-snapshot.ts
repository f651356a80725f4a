import {
  drainCounters,
  type ApplianceState,
  type ClusterNode,
  type DrainCounters,
  type Role,
} from './appliance-state.js';
import type { CommandLogEntry } from './records.js';
import type { ReplicationChannel } from './replication-channels.js';

/** A frozen, JSON-friendly view of one appliance at one virtual time (what tests inspect). */
export interface ApplianceSnapshot {
  readonly name: string;
  readonly role: Role;
  readonly up: boolean;
  readonly uuid: string;
  readonly version: string;
  readonly arch: string;
  readonly maintenance: {
    readonly enabled: boolean;
    /** When maintenance mode was set (ISO 8601), or null. */
    readonly since: string | null;
    /** Active Git operations, MySQL queries and Resque jobs now: all zero once drained. */
    readonly drain: Readonly<DrainCounters>;
    readonly drained: boolean;
  };
  readonly replication: {
    readonly primary: string;
    readonly running: boolean;
    readonly channels: readonly ReplicationChannel[];
  } | null;
  readonly clusterNodes: readonly ClusterNode[];
  readonly files: Readonly<Record<string, { readonly content: string; readonly size: number }>>;
  /** Exclusive activities running now (`support-bundle`, `promote`). */
  readonly busy: readonly string[];
  /** Every command line this appliance received, in order. */
  readonly commandLog: readonly CommandLogEntry[];
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function snapshotAppliance(
  node: ApplianceState,
  now: number,
  drainSeconds: number,
  log: readonly CommandLogEntry[],
): ApplianceSnapshot {
  const drain = drainCounters(node, now, drainSeconds);
  return deepFreeze({
    name: node.name,
    role: node.role,
    up: node.up,
    uuid: node.uuid,
    version: node.version,
    arch: node.arch,
    maintenance: {
      enabled: node.maintenance.enabled,
      since: node.maintenance.since === null ? null : new Date(node.maintenance.since).toISOString(),
      drain,
      drained: drain.gitOperations === 0 && drain.mysqlQueries === 0 && drain.resqueJobs === 0,
    },
    replication: node.replication
      ? {
          primary: node.replication.primary,
          running: node.replication.running,
          channels: [...node.replication.channels],
        }
      : null,
    clusterNodes: node.clusterNodes.map((n) => ({ ...n })),
    files: Object.fromEntries([...node.files].map(([path, f]) => [path, { ...f }])),
    busy: [...node.busy],
    commandLog: log.filter((e) => e.target === node.name),
  });
}
