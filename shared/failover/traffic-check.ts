import type { Deps } from '../runtime/deps.js';
import { describeProbe } from '../http/appliance-http.js';
import type { DnsRecordSet } from '../traffic/dns.js';
import type { LbTargetHealth } from '../traffic/load-balancer.js';
import { TrafficCheckFailed } from './errors.js';
import { iso } from './names.js';
import { recordType, type FailoverRequest } from './request.js';

/**
 * Prove before you act: before anything irreversible (maintenance mode, promotion, EC2 stop), read
 * the traffic target the failover will change after the promotion, and refuse unless it is exactly
 * what SwitchTraffic expects. Route 53: the record exists in that zone, is one plain A or CNAME
 * record set of the type the replica's address needs (an UPSERT cannot replace an alias or another
 * type), and points at the primary. Load balancer: the target group exists and holds the primary.
 * A read that fails (unknown zone, no permission, no AWS locally) is a refusal too.
 * Manual traffic (DNS or load balancer outside AWS): only what HTTPS shows, see `proveManual`.
 */
export interface TrafficProof {
  kind: 'route53' | 'loadBalancer' | 'manual';
  /** Manual: what `https://<hostname>/status` answered, and what could not be checked. */
  status?: string;
  notChecked?: string;
  /** Route 53: the record as it is now. */
  record?: { name: string; type: string; ttl?: number; values: string[] };
  /** Load balancer: the registered targets and their health. */
  targets?: LbTargetHealth[];
  detail: string;
  at: string;
}

const same = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined &&
  b !== undefined &&
  a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();

const NOTHING = 'Nothing was changed.';

function refuse(message: string, details: Record<string, unknown> = {}): never {
  throw new TrafficCheckFailed(`${message} ${NOTHING}`, details);
}

async function read<T>(what: string, fix: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const e = error as Error & { details?: { awsError?: string } };
    const aws = e.details?.awsError;
    const hint =
      aws && /^(NoSuchHostedZone|TargetGroupNotFound)/.test(aws)
        ? fix
        : aws === 'AccessDenied' || aws === 'AccessDeniedException'
          ? `the step's role may read only the configured target (serverless.yml params failoverHostedZoneId / failoverTargetGroupArn): use that one, or deploy with yours. ${fix}`
          : fix;
    refuse(
      `Cannot check ${what} before changing anything: ${e.name}: ${e.message.split('\n')[0]} Fix: ${hint}`,
      {
        ...(aws ? { awsError: aws } : {}),
      },
    );
  }
}

/** Names that do not resolve: a typo in traffic.manual.hostname (or no DNS from where this runs). */
const NOT_RESOLVED = /^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|ENODATA)$/;

/**
 * Manual traffic: the record lives outside AWS, so only HTTPS can be read. The name must resolve;
 * in planned mode `https://<hostname>/status` must answer 200 (only an active primary does: the
 * replica answers 503), so the name reaches a primary now. Which appliance answers cannot be told
 * from /status, and in unplanned mode (primary down) the name may not answer at all: the proof says
 * what was not checked.
 */
async function proveManual(
  request: FailoverRequest,
  hostname: string,
  deps: Pick<Deps, 'http'>,
  at: string,
): Promise<TrafficProof> {
  const probe = await deps.http.status(hostname);
  const seen = describeProbe(probe);
  if ('unreachable' in probe && NOT_RESOLVED.test(probe.unreachable))
    refuse(
      `traffic.manual.hostname ${hostname} does not resolve (${probe.unreachable}): after the promotion you would be asked to switch a name nobody uses. ` +
        'Fix traffic.manual.hostname (the name users reach GHES by), or the DNS resolution where the workflow runs.',
      { status: seen },
    );
  if (request.mode === 'planned' && !('code' in probe && probe.code === 200))
    refuse(
      `https://${hostname}/status answers ${seen}, not 200: in a planned failover the name must reach the active primary ${request.primary.target} now (a replica or an appliance in maintenance mode answers 503). ` +
        'Fix traffic.manual.hostname, or point it at the primary first; if the primary is down, use "mode": "unplanned".',
      { status: seen },
    );
  const notChecked = `which appliance ${hostname} reaches (the record is outside AWS; /status does not name the appliance)${request.mode === 'unplanned' ? ', and whether it reaches the primary (it is down)' : ''}`;
  return {
    kind: 'manual',
    status: seen,
    notChecked,
    detail: `https://${hostname}/status answers ${seen}; not checked: ${notChecked}`,
    at,
  };
}

export async function proveTrafficTarget(
  request: FailoverRequest,
  deps: Pick<Deps, 'clock' | 'dns' | 'http' | 'loadBalancer'>,
): Promise<TrafficProof> {
  const at = iso(deps.clock.now());
  const t = request.traffic;
  if (t.kind === 'manual') return proveManual(request, t.hostname, deps, at);
  if (t.kind === 'route53') {
    const zone = t.hostedZoneId;
    const name = t.recordName;
    const sets: DnsRecordSet[] = await read(
      `the Route 53 record ${name} in hosted zone ${zone}`,
      `check traffic.route53.hostedZoneId (${zone}) against the zone's id in the Route 53 console or \`aws route53 list-hosted-zones-by-name --dns-name ${name}\`.`,
      () => deps.dns.records(zone, name),
    );
    const addressSets = sets.filter((s) => s.type === 'A' || s.type === 'CNAME' || s.type === 'AAAA');
    if (addressSets.length === 0)
      refuse(
        `Hosted zone ${zone} has no A or CNAME record ${name}${sets.length ? ` (only ${sets.map((s) => s.type).join(', ')})` : ''}: ` +
          `the failover would have nothing to switch. Fix traffic.route53.recordName or traffic.route53.hostedZoneId (is ${name} served from another zone?).`,
      );
    if (addressSets.length > 1)
      refuse(
        `${name} in zone ${zone} has ${addressSets.length} record sets (${addressSets.map((s) => `${s.type}${s.setIdentifier ? ` "${s.setIdentifier}"` : ''}`).join(', ')}): ` +
          'routing policies (weighted, failover, latency) or an AAAA next to the A record are not switched by this workflow. Switch those by hand, or keep one A or CNAME record.',
      );
    const set = addressSets[0]!;
    if (set.aliasTarget)
      refuse(
        `${name} in zone ${zone} is an alias record to ${set.aliasTarget}; the failover writes a plain ${recordType(request.replica.address!)} record. ` +
          'If the alias points at a load balancer, use "traffic": {"loadBalancer": {...}} instead; otherwise change the record to a plain one first.',
      );
    const want = recordType(request.replica.address!);
    if (set.type !== want)
      refuse(
        `${name} in zone ${zone} is a ${set.type} record, but replica.address ${request.replica.address} needs a ${want} record, and Route 53 does not replace one type by another in an UPSERT. ` +
          `Give replica.address as ${set.type === 'A' ? 'an IPv4 address' : 'a host name'}.`,
      );
    const record = {
      name,
      type: set.type,
      ...(set.ttl !== undefined ? { ttl: set.ttl } : {}),
      values: set.values,
    };
    const primary = request.primary.address;
    if (!set.values.some((v) => same(v, primary))) {
      const already = set.values.some((v) => same(v, request.replica.address));
      refuse(
        already
          ? `${name} already points at the replica ${request.replica.address}: a failover may already have happened, or primary and replica are swapped in the input. Check which appliance is the primary and start again with the roles right.`
          : `${name} (${set.type}) points at ${set.values.join(', ') || '(nothing)'}, not at the primary's address ${primary ?? '(none given)'}: switching it after the promotion would not move the users of the primary. ` +
              'Fix primary.address (what the record points to for the primary) or correct the record first.',
        { record },
      );
    }
    return {
      kind: 'route53',
      record,
      detail: `${name} ${set.type} ${set.values.join(', ')} (TTL ${set.ttl ?? '?'}) in zone ${zone} points at the primary`,
      at,
    };
  }
  const targets = await read(
    `the target group ${t.targetGroupArn}`,
    'check traffic.loadBalancer.targetGroupArn against `aws elbv2 describe-target-groups`.',
    () => deps.loadBalancer.targets(t.targetGroupArn),
  );
  const primaryId = request.primary.instanceId!;
  const primary = targets.find((x) => x.id === primaryId && x.port === t.port);
  if (!primary)
    refuse(
      `The target group ${t.targetGroupArn} does not hold the primary ${primaryId} on port ${t.port} (targets: ${
        targets.map((x) => `${x.id}:${x.port} ${x.state}`).join(', ') || 'none'
      }): moving the target after the promotion would not move the users of the primary. Fix traffic.loadBalancer (targetGroupArn, port) or primary.instanceId.`,
      { targets },
    );
  return {
    kind: 'loadBalancer',
    targets,
    detail: `target group holds the primary ${primaryId}:${t.port} (${primary.state})`,
    at,
  };
}
