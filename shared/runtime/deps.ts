import type { Config } from '../config.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { CommandRunner } from '../appliance/runner.js';
import type { ParameterStore } from '../params/parameter-store.js';
import type { Mailer } from '../mail/mailer.js';
import type { Executions } from '../executions/executions.js';
import type { Dns } from '../traffic/dns.js';
import type { LoadBalancer } from '../traffic/load-balancer.js';
import type { Instances } from '../compute/instances.js';
import type { ApplianceHttp } from '../http/appliance-http.js';
import type { GhesApi } from '../ghes/ghes-api.js';
import type { RawMailStore } from '../service-desk/raw-mail.js';
import type { TicketRepository } from '../service-desk/tickets.js';
import type { RecordStore } from '../records/record-store.js';
import type { SmtpSubmission } from '../mail/smtp-submission.js';
import type { TlsProbe } from '../tls/tls-probe.js';
import type { IpRangesSource } from '../network/ip-ranges.js';
import type { PrefixLists } from '../network/prefix-lists.js';
import type { VolumeSnapshots } from '../storage/volume-snapshots.js';

/**
 * Everything a step needs from the outside world, passed in. Lambdas get the AWS implementations
 * (`aws-deps.ts`, built lazily once per cold start); the local runtime installs its own with
 * `setDeps` before running any handler.
 */
export interface Deps {
  config: Config;
  /** Workflow time: Wait states, deadlines, timestamps in messages (locally it may run faster). */
  clock: Clock;
  /**
   * Real time for limits set by others (GitHub's one-hour setup links, token expiry, mail bursts,
   * record expiry): the real clock in AWS and locally.
   */
  wallClock: Clock;
  log: Logger;
  runner: CommandRunner;
  params: ParameterStore;
  mailer: Mailer;
  executions: Executions;
  /** Route 53 (AWS) or the sandbox zone: the failover's DNS switch. */
  dns: Dns;
  /** ELBv2 target groups (AWS) or the sandbox load balancer. */
  loadBalancer: LoadBalancer;
  /** EC2 (AWS) or the sandbox: fencing by stopping an instance. */
  instances: Instances;
  /** HTTPS to the appliances: /status and the maintenance drain counters. */
  http: ApplianceHttp;
  /** The GHES REST API (`/api/v3`): token scopes, memberships, meta (actions-sync). */
  ghesApi: GhesApi;
  /** Raw received mail: S3 (the SES receipt rule's S3 action) in AWS. */
  rawMail: RawMailStore;
  /** Service desk tickets: issues over the GHES REST API. */
  tickets: TicketRepository;
  /** Mail through somebody else's SMTP server with their credentials (custom email verification). */
  smtpSubmission: SmtpSubmission;
  /** Small records with conditional writes and expiry: DynamoDB in AWS (the service desk's). */
  records: RecordStore;
  /** A TLS handshake to GHES, reading the served certificate (tls-certificate). */
  tlsProbe: TlsProbe;
  /** Atlassian's published IP ranges over HTTPS (jira-prefix-list). */
  ipRanges: IpRangesSource;
  /** EC2 managed prefix lists (AWS) or the sandbox's (jira-prefix-list). */
  prefixLists: PrefixLists;
  /** EBS snapshots of the backup volume (backup-health). */
  volumeSnapshots: VolumeSnapshots;
}

type Provider = () => Deps | Promise<Deps>;

let provider: Provider | undefined;
let current: Deps | undefined;
let pending: Promise<Deps> | undefined;

/** Installs the dependencies handlers will use (local runtime and tests). */
export function setDeps(deps: Deps | Provider): void {
  provider = typeof deps === 'function' ? deps : () => deps;
  current = undefined;
  pending = undefined;
}

/** The installed dependencies, or the AWS ones (imported on first use, once per cold start). */
export async function getDeps(): Promise<Deps> {
  if (current) return current;
  const made = (pending ??= (async () => {
    if (!provider) {
      const { awsDeps } = await import('./aws-deps.js');
      provider ??= awsDeps;
    }
    return provider();
  })());
  try {
    const deps = await made;
    // setDeps may have replaced the provider meanwhile: only the current attempt is kept.
    if (pending === made) current = deps;
    return deps;
  } finally {
    if (pending === made) pending = undefined;
  }
}
