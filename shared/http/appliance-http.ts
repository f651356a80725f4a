/**
 * What ghes-ops reads from an appliance over HTTPS: `GET https://HOST/status` (200 on the active
 * primary, 503 on a replica or in maintenance mode) and the drain counters of maintenance mode
 * (Manage API `GET /manage/v1/maintenance`, `connection_services`). HTTPS in AWS, the sandbox locally.
 */
export type StatusProbe = { code: number } | { unreachable: string };

export interface DrainCounters {
  gitOperations: number;
  mysqlQueries: number;
  resqueJobs: number;
}

export interface ApplianceHttp {
  /** Never throws: an appliance that does not answer is `{ unreachable: why }`. */
  status(host: string): Promise<StatusProbe>;
  /** The maintenance-mode activity counters, or `undefined` when they cannot be read. */
  drain(host: string): Promise<DrainCounters | undefined>;
}

export function describeProbe(p: StatusProbe): string {
  return 'code' in p ? `HTTP ${p.code}` : `unreachable (${p.unreachable})`;
}
