import { randomUUID } from 'node:crypto';
import type { Instances, StopResult } from '../../../shared/compute/instances.js';
import type { ApplianceHttp, DrainCounters, StatusProbe } from '../../../shared/http/appliance-http.js';
import type {
  Dns,
  DnsChange,
  DnsChangeStatus,
  DnsRecordChange,
  DnsRecordSet,
} from '../../../shared/traffic/dns.js';
import type { LbTarget, LoadBalancer } from '../../../shared/traffic/load-balancer.js';
import { TrafficCheckFailed, TrafficSwitchFailed } from '../../../shared/failover/errors.js';
import { SANDBOX_PRIMARY, SANDBOX_REPLICA } from '../appliance-names.js';
import type { Sandbox } from '../sandbox.js';
import { gheAnnounce } from './ghe-announce.js';

/**
 * The AWS around the sandbox appliances, for the failover workflow: a Route 53-like hosted zone
 * (changes PENDING, then INSYNC after `dnsPropagationSeconds`; lookups see a change once it is
 * INSYNC), an ELBv2-like target group (a target is healthy when its appliance's /status is 200),
 * EC2 instances (stopping one brings its appliance down) and HTTPS to the appliances (/status and
 * the maintenance drain counters). All on the sandbox's virtual clock.
 */
export const SANDBOX_ZONE_ID = 'Z0SANDBOX00000000000';
export const SANDBOX_PUBLIC_NAME = 'ghes.sandbox.test';
export const SANDBOX_LB_NAME = 'ghes-lb.sandbox.test';
export const SANDBOX_TARGET_GROUP =
  'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/ghes-sandbox/0123456789abcdef';
/** EC2 instance id and private address of each sandbox appliance. */
export const SANDBOX_INSTANCES: Record<string, { instanceId: string; ip: string }> = {
  [SANDBOX_PRIMARY]: { instanceId: 'i-0000000000000a001', ip: '10.0.0.11' },
  [SANDBOX_REPLICA]: { instanceId: 'i-0000000000000a002', ip: '10.0.0.12' },
};

/** Sandbox scenarios of this module (registered in ../scenarios.ts). */
export const CLOUD_SCENARIOS = {
  'dns-fails':
    'Route 53 refuses the record change (PriorRequestNotComplete): a promotion that succeeded is followed by a failed traffic switch.',
  'lb-fails': 'The load balancer refuses to register targets (AccessDenied).',
  'dns-stale-record':
    'The public record ghes.sandbox.test is a CNAME to ghe-old.sandbox.test, not to the primary (a record nobody updated): preflight refuses with TrafficCheckFailed.',
} as const;

/** Where the stale record of `dns-stale-record` points. */
export const SANDBOX_STALE_TARGET = 'ghe-old.sandbox.test';

interface Change {
  id: string;
  zone: string;
  name: string;
  type: 'A' | 'CNAME';
  value: string;
  ttl: number;
  submittedAt: number;
  insyncAt: number;
}

export interface SandboxCloudOptions {
  /** Route 53 change propagation (virtual seconds, default 20; 0 with zero delays). */
  dnsPropagationSeconds?: number;
}

export class SandboxCloud {
  readonly dns: Dns;
  readonly loadBalancer: LoadBalancer;
  readonly instances: Instances;
  readonly http: ApplianceHttp;
  /** Every DNS change submitted, in order (tests read it). */
  readonly dnsChanges: Change[] = [];
  /** Instances stopped through EC2, in order. */
  readonly stopped: string[] = [];
  private readonly targets = new Map<string, LbTarget[]>();
  private readonly propagationMs: number;

  constructor(
    private readonly sandbox: Sandbox,
    opts: SandboxCloudOptions = {},
  ) {
    this.propagationMs = (opts.dnsPropagationSeconds ?? (sandbox.durations.promote === 0 ? 0 : 20)) * 1000;
    if (!sandbox.commands().includes(gheAnnounce.name)) sandbox.registerCommand(gheAnnounce);
    this.reset();
    const fault = (name: keyof typeof CLOUD_SCENARIOS): boolean => sandbox.scenario.split('+').includes(name);

    this.dns = {
      // ListResourceRecordSets sees a change as soon as it is submitted (INSYNC is about the servers).
      records: async (zone: string, name: string): Promise<DnsRecordSet[]> => {
        if (zone !== SANDBOX_ZONE_ID)
          throw new TrafficCheckFailed(
            `Route 53 (sandbox) could not list the record ${name} in zone ${zone}: NoSuchHostedZone: No hosted zone found with ID: ${zone}`,
            { awsError: 'NoSuchHostedZone' },
          );
        const want = name.replace(/\.$/, '').toLowerCase();
        const c = this.dnsChanges.filter((x) => x.zone === zone && x.name === want).at(-1);
        return c ? [{ name: want, type: c.type, ttl: c.ttl, values: [c.value] }] : [];
      },
      upsert: async (change: DnsRecordChange): Promise<DnsChange> => {
        if (change.hostedZoneId !== SANDBOX_ZONE_ID) {
          throw new TrafficSwitchFailed(
            `Route 53 (sandbox) refused the change: NoSuchHostedZone: No hosted zone found with ID: ${change.hostedZoneId}`,
            { awsError: 'NoSuchHostedZone' },
          );
        }
        if (fault('dns-fails')) {
          throw new TrafficSwitchFailed(
            `Route 53 (sandbox) refused to point ${change.name} (${change.type}) at ${change.value} in zone ${change.hostedZoneId}: PriorRequestNotComplete: The request was rejected because Route 53 was still processing a prior request.`,
            { awsError: 'PriorRequestNotComplete' },
          );
        }
        const now = this.sandbox.now();
        const c: Change = {
          id: `C${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`,
          zone: change.hostedZoneId,
          name: change.name.replace(/\.$/, '').toLowerCase(),
          type: change.type,
          value: change.value,
          ttl: change.ttl,
          submittedAt: now,
          insyncAt: now + this.propagationMs,
        };
        this.dnsChanges.push(c);
        return {
          changeId: c.id,
          status: this.propagationMs === 0 ? 'INSYNC' : 'PENDING',
          submittedAt: new Date(now).toISOString(),
        };
      },
      changeStatus: async (changeId: string): Promise<DnsChangeStatus> => {
        const c = this.dnsChanges.find((x) => x.id === changeId);
        if (!c)
          throw new TrafficSwitchFailed(`Route 53 (sandbox) GetChange ${changeId} failed: NoSuchChange`, {
            awsError: 'NoSuchChange',
          });
        return this.sandbox.now() >= c.insyncAt ? 'INSYNC' : 'PENDING';
      },
    };

    this.loadBalancer = {
      targets: async (tg) => {
        if (tg !== SANDBOX_TARGET_GROUP)
          throw new TrafficCheckFailed(
            `ELBv2 (sandbox) could not describe the targets of ${tg}: TargetGroupNotFound: One or more target groups not found`,
            { awsError: 'TargetGroupNotFound' },
          );
        return this.group(tg).map((t) => ({ ...t, state: this.targetHealth(t.id) }));
      },
      register: async (tg, targets) => {
        if (fault('lb-fails'))
          throw new TrafficSwitchFailed(
            'ELBv2 (sandbox) failed registering targets: AccessDenied: not authorized to perform elasticloadbalancing:RegisterTargets',
            { awsError: 'AccessDenied' },
          );
        const list = this.group(tg);
        for (const t of targets) if (!list.some((x) => x.id === t.id && x.port === t.port)) list.push(t);
      },
      deregister: async (tg, targets) => {
        this.targets.set(
          tg,
          this.group(tg).filter((x) => !targets.some((t) => t.id === x.id && t.port === x.port)),
        );
      },
      health: async (tg, target) =>
        this.group(tg).some((x) => x.id === target.id) ? this.targetHealth(target.id) : 'unused',
    };

    this.instances = {
      stop: async (instanceId: string): Promise<StopResult> => {
        const name = this.applianceOfInstance(instanceId);
        if (!name) {
          const e = new Error(`The instance ID '${instanceId}' does not exist`);
          e.name = 'InvalidInstanceID.NotFound';
          throw e;
        }
        const previousState = this.sandbox.appliance(name).up ? 'running' : 'stopped';
        this.sandbox.setUp(name, false);
        this.stopped.push(instanceId);
        return { instanceId, previousState, currentState: 'stopping' };
      },
    };

    this.http = {
      status: async (host: string): Promise<StatusProbe> => {
        const name = this.resolve(host);
        if (!name) return { unreachable: 'ENOTFOUND' };
        const code = this.sandbox.statusCode(name);
        return code === 'unreachable' ? { unreachable: 'ETIMEDOUT' } : { code };
      },
      drain: async (host: string): Promise<DrainCounters | undefined> => {
        const name = this.resolve(host);
        if (!name || !this.sandbox.appliance(name).up) return undefined;
        return { ...this.sandbox.appliance(name).maintenance.drain };
      },
    };
  }

  /** What the public name resolves to now (changes count once INSYNC). */
  /**
   * The cloud as at the start (the public name and the target group on the primary), after the
   * sandbox's own `reset`: DNS history, targets and stopped instances are forgotten.
   */
  reset(): void {
    const sandbox = this.sandbox;
    this.dnsChanges.length = 0;
    this.stopped.length = 0;
    this.targets.clear();
    // The public name points at the primary; the target group holds the primary.
    const primary = SANDBOX_INSTANCES[SANDBOX_PRIMARY]!;
    this.dnsChanges.push({
      id: 'C0INITIAL',
      zone: SANDBOX_ZONE_ID,
      name: SANDBOX_PUBLIC_NAME,
      type: 'CNAME',
      value: sandbox.scenario.split('+').includes('dns-stale-record')
        ? SANDBOX_STALE_TARGET
        : SANDBOX_PRIMARY,
      ttl: 60,
      submittedAt: 0,
      insyncAt: 0,
    });
    this.targets.set(SANDBOX_TARGET_GROUP, [{ id: primary.instanceId, port: 443 }]);
  }

  record(name: string = SANDBOX_PUBLIC_NAME): { type: string; value: string } | undefined {
    const now = this.sandbox.now();
    const c = this.dnsChanges.filter((x) => x.name === name.toLowerCase() && x.insyncAt <= now).at(-1);
    return c ? { type: c.type, value: c.value } : undefined;
  }

  /** Instance ids registered in a target group. */
  registered(tg: string = SANDBOX_TARGET_GROUP): string[] {
    return this.group(tg).map((t) => t.id);
  }

  private group(tg: string): LbTarget[] {
    if (tg !== SANDBOX_TARGET_GROUP)
      throw new TrafficSwitchFailed(`ELBv2 (sandbox): TargetGroupNotFound: ${tg}`, {
        awsError: 'TargetGroupNotFound',
      });
    return this.targets.get(tg)!;
  }

  private targetHealth(instanceId: string): string {
    const name = this.applianceOfInstance(instanceId);
    return name && this.sandbox.statusCode(name) === 200 ? 'healthy' : 'unhealthy';
  }

  private applianceOfInstance(id: string): string | undefined {
    return Object.entries(SANDBOX_INSTANCES).find(([, v]) => v.instanceId === id)?.[0];
  }

  /** Host name -> appliance: an appliance name, its IP, the public DNS name, or the load balancer name. */
  private resolve(host: string, depth = 0): string | undefined {
    const h = host.toLowerCase();
    if (this.sandbox.applianceNames.includes(h)) return h;
    const byIp = Object.entries(SANDBOX_INSTANCES).find(([, v]) => v.ip === h)?.[0];
    if (byIp) return byIp;
    if (h === SANDBOX_LB_NAME) {
      const healthy = this.group(SANDBOX_TARGET_GROUP)
        .map((t) => this.applianceOfInstance(t.id))
        .find((n) => n && this.sandbox.statusCode(n) === 200);
      return healthy ?? this.applianceOfInstance(this.group(SANDBOX_TARGET_GROUP)[0]?.id ?? '');
    }
    const rec = this.record(h);
    return rec && depth < 3 ? this.resolve(rec.value, depth + 1) : undefined;
  }
}
