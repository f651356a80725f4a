import type { Deps } from '../runtime/deps.js';
import { describeProbe } from '../http/appliance-http.js';
import type { DnsChangeStatus } from '../traffic/dns.js';
import { TrafficSwitchFailed } from './errors.js';
import { iso } from './names.js';
import { recordType } from './request.js';
import type { FailoverState } from './state.js';

/**
 * Switching traffic to the new primary, ONLY after promotion succeeded: a Route 53 UPSERT watched
 * until INSYNC and then the record's TTL (resolvers may serve the old answer that long), or the
 * load balancer target moved and watched until the new target is healthy, or (manual traffic) the
 * operator's confirmation recorded and `https://<hostname>/status` polled until the new primary
 * answers 200 (the old primary is fenced in maintenance mode, 503, or down).
 */
const TRAFFIC_TIMEOUT_SECONDS = 10 * 60;

export interface TrafficSwitch {
  kind: 'route53' | 'loadBalancer' | 'manual';
  /** Manual: the name the operator switched, and who confirmed it. */
  hostname?: string;
  confirmedBy?: string;
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
  /** Manual: what `https://<hostname>/status` answered. */
  status?: string;
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
  if (t.kind === 'manual') {
    const confirmed = state.trafficConfirmation;
    if (!confirmed)
      throw new TrafficSwitchFailed(
        `Refusing to go on: nobody confirmed that ${t.hostname} was switched to ${request.replica.address}.`,
      );
    deps.log.info('manual traffic switch confirmed', { hostname: t.hostname, by: confirmed.by });
    return {
      kind: 'manual',
      hostname: t.hostname,
      confirmedBy: `${confirmed.by} (${confirmed.via})`,
      submittedAt: confirmed.at,
      deadline,
    };
  }
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
  deps: Pick<Deps, 'clock' | 'dns' | 'loadBalancer' | 'http'>,
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
  } else if (traffic!.kind === 'manual') {
    const probe = await deps.http.status(traffic!.hostname!);
    const ok = 'code' in probe && probe.code === 200;
    check = { state: ok ? 'done' : 'pending', status: describeProbe(probe), polls, at: iso(now) };
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
        : traffic!.kind === 'manual'
          ? `${traffic!.confirmedBy} confirmed the switch of ${traffic!.hostname}, but ${TRAFFIC_TIMEOUT_SECONDS / 60} minutes later https://${traffic!.hostname}/status still answers ${check.status} (the new primary answers 200). Check the record or load balancer and what resolvers still cache.`
          : `The new target ${traffic!.registered} was still ${check.targetHealth} in the target group ${TRAFFIC_TIMEOUT_SECONDS / 60} minutes after it was registered.`,
      { check },
    );
  }
  return check;
}
