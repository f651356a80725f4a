import type { Deps } from '../runtime/deps.js';
import type { DnsChangeStatus } from '../traffic/dns.js';
import { TrafficSwitchFailed } from './errors.js';
import { iso } from './names.js';
import { recordType } from './request.js';
import type { FailoverState } from './state.js';

/**
 * Switching traffic to the new primary, ONLY after promotion succeeded: a Route 53 UPSERT watched
 * until INSYNC and then the record's TTL (resolvers may serve the old answer that long), or the
 * load balancer target moved and watched until the new target is healthy.
 */
const TRAFFIC_TIMEOUT_SECONDS = 10 * 60;

export interface TrafficSwitch {
  kind: 'route53' | 'loadBalancer';
  /** Route 53: the change and the record written. */
  changeId?: string;
  record?: { name: string; type: 'A' | 'CNAME'; value: string; ttl: number };
  /** Load balancer: targets moved. */
  registered?: string;
  deregistered?: string;
  submittedAt: string;
  deadline: string;
}

export interface TrafficCheck {
  state: 'pending' | 'ttl' | 'done';
  dnsStatus?: DnsChangeStatus;
  insyncAt?: string;
  ttlUntil?: string;
  targetHealth?: string;
  polls: number;
  at: string;
}

export async function switchTraffic(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'dns' | 'loadBalancer' | 'log'>,
): Promise<TrafficSwitch> {
  const { request } = state;
  if (state.promotionCheck?.state !== 'succeeded') {
    throw new TrafficSwitchFailed(
      'Refusing to switch traffic: the promotion has not been confirmed as succeeded.',
    );
  }
  const now = deps.clock.now();
  const deadline = iso(now + TRAFFIC_TIMEOUT_SECONDS * 1000);
  const t = request.traffic;
  if (t.kind === 'route53') {
    const value = request.replica.address!;
    const type = recordType(value);
    const change = await deps.dns.upsert({
      hostedZoneId: t.hostedZoneId,
      name: t.recordName,
      type,
      value,
      ttl: t.ttl,
      comment: `ghes-ops failover ${request.execution.name}: ${request.primary.target} -> ${request.replica.target}`,
    });
    deps.log.info('dns change submitted', { changeId: change.changeId, record: t.recordName });
    return {
      kind: 'route53',
      changeId: change.changeId,
      record: { name: t.recordName, type, value, ttl: t.ttl },
      submittedAt: change.submittedAt,
      deadline,
    };
  }
  const newTarget = { id: request.replica.instanceId!, port: t.port };
  const oldTarget = { id: request.primary.instanceId!, port: t.port };
  await deps.loadBalancer.register(t.targetGroupArn, [newTarget]);
  await deps.loadBalancer.deregister(t.targetGroupArn, [oldTarget]);
  return {
    kind: 'loadBalancer',
    registered: newTarget.id,
    deregistered: oldTarget.id,
    submittedAt: iso(now),
    deadline,
  };
}

/** One poll: DNS change INSYNC then the TTL elapsed, or the new target healthy. */
export async function checkTraffic(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'dns' | 'loadBalancer'>,
): Promise<TrafficCheck> {
  const { request, traffic } = state;
  const prev = state.trafficCheck;
  const now = deps.clock.now();
  const polls = (prev?.polls ?? 0) + 1;
  let check: TrafficCheck;
  if (traffic!.kind === 'route53') {
    let insyncAt = prev?.insyncAt;
    let ttlUntil = prev?.ttlUntil;
    let dnsStatus: DnsChangeStatus = insyncAt ? 'INSYNC' : await deps.dns.changeStatus(traffic!.changeId!);
    if (!insyncAt && dnsStatus === 'INSYNC') {
      insyncAt = iso(now);
      ttlUntil = iso(now + traffic!.record!.ttl * 1000);
    }
    dnsStatus = insyncAt ? 'INSYNC' : dnsStatus;
    const done = ttlUntil !== undefined && now >= Date.parse(ttlUntil);
    check = {
      state: done ? 'done' : insyncAt ? 'ttl' : 'pending',
      dnsStatus,
      ...(insyncAt ? { insyncAt } : {}),
      ...(ttlUntil ? { ttlUntil } : {}),
      polls,
      at: iso(now),
    };
  } else {
    const t = request.traffic as Extract<typeof request.traffic, { kind: 'loadBalancer' }>;
    const targetHealth = await deps.loadBalancer.health(t.targetGroupArn, {
      id: traffic!.registered!,
      port: t.port,
    });
    check = { state: targetHealth === 'healthy' ? 'done' : 'pending', targetHealth, polls, at: iso(now) };
  }
  if (check.state === 'pending' && now > Date.parse(traffic!.deadline)) {
    throw new TrafficSwitchFailed(
      traffic!.kind === 'route53'
        ? `Route 53 change ${traffic!.changeId} was still ${check.dnsStatus} ${TRAFFIC_TIMEOUT_SECONDS / 60} minutes after it was submitted.`
        : `The new target ${traffic!.registered} was still ${check.targetHealth} in the target group ${TRAFFIC_TIMEOUT_SECONDS / 60} minutes after it was registered.`,
      { check },
    );
  }
  return check;
}
