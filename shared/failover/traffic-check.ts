import type { Deps } from '../runtime/deps.js';
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
 */
export interface TrafficProof {
  kind: 'route53' | 'loadBalancer';
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

export async function proveTrafficTarget(
  request: FailoverRequest,
  deps: Pick<Deps, 'clock' | 'dns' | 'loadBalancer'>,
): Promise<TrafficProof> {
  const at = iso(deps.clock.now());
  const t = request.traffic;
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
