/**
 * DNS records: Route 53 in AWS, the sandbox zone locally. A change is submitted (`upsert`) and
 * then watched until it is `INSYNC` on every authoritative server; resolvers follow after the TTL.
 */
export type DnsChangeStatus = 'PENDING' | 'INSYNC';

export interface DnsRecordChange {
  hostedZoneId: string;
  /** Record name, e.g. `github.example.com` (no trailing dot needed). */
  name: string;
  type: 'A' | 'CNAME';
  /** IPv4 address (A) or host name (CNAME). */
  value: string;
  ttl: number;
  /** Shown in the Route 53 change history. */
  comment: string;
}

export interface DnsChange {
  changeId: string;
  status: DnsChangeStatus;
  submittedAt: string;
}

/** One record set as Route 53 lists it (ListResourceRecordSets). */
export interface DnsRecordSet {
  /** Lower case, without the trailing dot. */
  name: string;
  type: string;
  ttl?: number;
  /** The record values (addresses or host names, trailing dot removed). */
  values: string[];
  /** Alias records: the DNS name of the alias target (an ELB, CloudFront, another record). */
  aliasTarget?: string;
  /** Weighted, latency, failover... routing: the set identifier. */
  setIdentifier?: string;
}

export interface Dns {
  /**
   * Read only: every record set named `name` in the zone (all types; [] when there is none).
   * Throws `TrafficCheckFailed` naming the service's error (`NoSuchHostedZone`, `AccessDenied`).
   */
  records(hostedZoneId: string, name: string): Promise<DnsRecordSet[]>;
  /** UPSERT of one record. Throws `TrafficSwitchFailed` (with the service's error) when refused. */
  upsert(change: DnsRecordChange): Promise<DnsChange>;
  /** Status of a submitted change. */
  changeStatus(changeId: string): Promise<DnsChangeStatus>;
}
