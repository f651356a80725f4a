import type { Config } from '../config.js';
import { InputValidationError, type FieldProblem } from '../errors.js';
import { Fields, isTarget, PATTERNS, TARGET_HINT } from '../validate.js';
import { parseHooks, type Hook } from './hooks.js';

/**
 * The failover request: the validated execution input (docs/workflows/failover.md, "Input").
 * Every value that reaches an appliance command, a DNS record or an AWS call is checked here
 * against a strict pattern, before any step runs.
 */
export interface ApplianceRef {
  /** Where commands run: EC2 instance id (SSM), host (SSH) or sandbox name. */
  target: string;
  /** Host name for `GET https://HOST/status` (defaults to the target when it is a host). */
  host?: string;
  /** EC2 instance id (fencing with StopInstances, load balancer target): the target when it is one. */
  instanceId?: string;
  /** What the DNS record points to for this appliance: an IPv4 address (A) or a host name (CNAME). */
  address?: string;
}

export interface Route53Traffic {
  kind: 'route53';
  hostedZoneId: string;
  /** The public name users reach GHES by, e.g. `github.example.com`. */
  recordName: string;
  /** TTL of the record, seconds: traffic moves after it. */
  ttl: number;
}

export interface LoadBalancerTraffic {
  kind: 'loadBalancer';
  targetGroupArn: string;
  /** Port the targets are registered on (default 443). */
  port: number;
  /** The public name behind the load balancer, for verification. */
  publicName: string;
}

/**
 * DNS or load balancer outside AWS: after the promotion the operator switches traffic by hand
 * (asked by mail and CLI, with the exact record), confirms, and the workflow then polls
 * `https://<hostname>/status` until the new primary answers.
 */
export interface ManualTraffic {
  kind: 'manual';
  /** The public name users reach GHES by, e.g. `github.example.com`. */
  hostname: string;
}

export type Traffic = Route53Traffic | LoadBalancerTraffic | ManualTraffic;

/** Who or what started the execution: an operator, or an alarm (approval always required). */
export interface Trigger {
  source: 'manual' | 'alarm';
  alarmName?: string;
  reason?: string;
  time?: string;
}

export interface FailoverRequest {
  mode: 'planned' | 'unplanned';
  primary: ApplianceRef;
  replica: ApplianceRef;
  traffic: Traffic;
  reason: string;
  maxReplicationLagSeconds: number;
  requireApproval: boolean;
  /** Proceed despite unhealthy replication (only that gate), with the operator's reason. */
  force?: { reason: string };
  acknowledgeRecentFailover: boolean;
  antiFlappingMinutes: number;
  notify: string[];
  hooks: { pre: Hook[]; post: Hook[] };
  /** Unplanned mode: also stop the old primary's EC2 instance (fencing). */
  stopOldPrimary: boolean;
  /** After success: remove the old primary from the HA configuration by its UUID. */
  teardownOldPrimary: boolean;
  /**
   * Planned: when the failover stops before promotion, leave the primary in maintenance mode
   * (default false: it is taken out again, so that service is restored).
   */
  stayInMaintenance: boolean;
  promotionTimeoutMinutes: number;
  verifyTimeoutMinutes: number;
  trigger: Trigger;
  /** The execution, from the context object: the lock owner. */
  execution: { id: string; name: string };
}

const FAILOVER_FIELDS = [
  'mode',
  'primary',
  'replica',
  'traffic',
  'reason',
  'maxReplicationLagSeconds',
  'requireApproval',
  'force',
  'acknowledgeRecentFailover',
  'antiFlappingMinutes',
  'notify',
  'hooks',
  'stopOldPrimary',
  'teardownOldPrimary',
  'stayInMaintenance',
  'promotionTimeoutMinutes',
  'verifyTimeoutMinutes',
  'trigger',
] as const;

const DEFAULTS = {
  maxReplicationLagSeconds: 30,
  antiFlappingMinutes: 60,
  promotionTimeoutMinutes: 45,
  verifyTimeoutMinutes: 10,
  ttl: 60,
} as const;

/** Route 53 hosted zone ids: `Z` and 1-32 upper-case letters or digits. */
export const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,32}$/;
/** ELBv2 target group ARN. */
export const TARGET_GROUP_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** Free text that ends up in emails and the history: printable, one line. */
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const ONE_LINE = /^[^\0-\x1f\x7f]+$/;
const EXECUTION_ID =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{1,80}$/;

/** One appliance: a target string, or an object with target, host, instanceId and address. */
function parseAppliance(f: Fields, field: string, fallback: string | undefined): ApplianceRef | undefined {
  const raw = f.raw(field);
  if (raw === undefined || raw === null) {
    if (!fallback) {
      f.fail(field, `is required (${TARGET_HINT}); none is configured`);
      return undefined;
    }
    return withDefaults({ target: fallback });
  }
  if (typeof raw === 'string') {
    const target = f.string(field, { pattern: /^[A-Za-z0-9.-]{1,253}$/, hint: TARGET_HINT, maxLength: 253 });
    if (target === undefined) return undefined;
    if (!isTarget(target)) {
      f.fail(field, `${JSON.stringify(target)} is not valid: expected ${TARGET_HINT}`);
      return undefined;
    }
    return withDefaults({ target });
  }
  const g = new Fields(raw, 'failover input', field);
  g.only(['target', 'host', 'instanceId', 'address']);
  const target = g.requiredString('target', {
    pattern: /^[A-Za-z0-9.-]{1,253}$/,
    hint: TARGET_HINT,
    maxLength: 253,
  });
  if (target && !isTarget(target))
    g.fail('target', `${JSON.stringify(target)} is not valid: expected ${TARGET_HINT}`);
  const host = g.string('host', {
    pattern: PATTERNS.host,
    hint: 'a host name such as ghes-replica.example.com',
    maxLength: 253,
  });
  const instanceId = g.string('instanceId', {
    pattern: PATTERNS.instanceId,
    hint: 'an EC2 instance id',
    maxLength: 19,
  });
  const address = g.string('address', {
    pattern: PATTERNS.host,
    hint: 'an IPv4 address or a host name',
    maxLength: 253,
  });
  f.problems.push(...g.problems);
  if (g.problems.length) return undefined;
  return withDefaults({
    target,
    ...(host ? { host } : {}),
    ...(instanceId ? { instanceId } : {}),
    ...(address ? { address } : {}),
  });
}

function withDefaults(a: ApplianceRef): ApplianceRef {
  const isInstance = PATTERNS.instanceId.test(a.target);
  const host = a.host ?? (isInstance ? undefined : a.target);
  const instanceId = a.instanceId ?? (isInstance ? a.target : undefined);
  const address = a.address ?? host;
  return {
    target: a.target,
    ...(host ? { host } : {}),
    ...(instanceId ? { instanceId } : {}),
    ...(address ? { address } : {}),
  };
}

function parseTraffic(f: Fields): Traffic | undefined {
  const raw = f.raw('traffic');
  if (raw === undefined || raw === null) {
    f.fail(
      'traffic',
      'is required: {"route53": {"hostedZoneId", "recordName", "ttl"}}, {"loadBalancer": {"targetGroupArn", "publicName"}} or {"manual": {"hostname"}}',
    );
    return undefined;
  }
  const t = new Fields(raw, 'failover input', 'traffic');
  t.only(['route53', 'loadBalancer', 'manual']);
  const has53 = t.has('route53');
  const hasLb = t.has('loadBalancer');
  const hasManual = t.has('manual');
  if (Number(has53) + Number(hasLb) + Number(hasManual) !== 1) {
    t.fail('(traffic)', 'give exactly one of route53, loadBalancer or manual');
    f.problems.push(...t.problems);
    return undefined;
  }
  let out: Traffic | undefined;
  if (hasManual) {
    const m = new Fields(t.raw('manual'), 'failover input', 'traffic.manual');
    m.only(['hostname']);
    const hostname = m.requiredString('hostname', {
      pattern: PATTERNS.host,
      hint: 'the public host name users reach GHES by, e.g. github.example.com (you switch its DNS record or load balancer by hand)',
      maxLength: 253,
    });
    t.problems.push(...m.problems);
    out = { kind: 'manual', hostname: hostname.toLowerCase() };
  } else if (has53) {
    const r = new Fields(t.raw('route53'), 'failover input', 'traffic.route53');
    r.only(['hostedZoneId', 'recordName', 'ttl']);
    const hostedZoneId = r.requiredString('hostedZoneId', {
      pattern: HOSTED_ZONE_ID,
      hint: 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ',
      maxLength: 33,
    });
    const recordName = r.requiredString('recordName', {
      pattern: PATTERNS.host,
      hint: 'the public host name, e.g. github.example.com',
      maxLength: 253,
    });
    const ttl = r.integer('ttl', { min: 0, max: 3600, default: DEFAULTS.ttl });
    t.problems.push(...r.problems);
    out = { kind: 'route53', hostedZoneId, recordName: recordName.toLowerCase(), ttl };
  } else {
    const l = new Fields(t.raw('loadBalancer'), 'failover input', 'traffic.loadBalancer');
    l.only(['targetGroupArn', 'port', 'publicName']);
    const targetGroupArn = l.requiredString('targetGroupArn', {
      pattern: TARGET_GROUP_ARN,
      hint: 'an ELBv2 target group ARN',
      maxLength: 300,
    });
    const port = l.integer('port', { min: 1, max: 65535, default: 443 });
    const publicName = l.requiredString('publicName', {
      pattern: PATTERNS.host,
      hint: 'the public host name behind the load balancer',
      maxLength: 253,
    });
    t.problems.push(...l.problems);
    out = { kind: 'loadBalancer', targetGroupArn, port, publicName: publicName.toLowerCase() };
  }
  f.problems.push(...t.problems);
  return t.problems.length ? undefined : out;
}

/** An alarm's state reason as CloudWatch wrote it, folded to one line and cut to 1,000 characters. */
function foldAlarmReason(raw: unknown): unknown {
  const r = raw as { source?: unknown; reason?: unknown } | null;
  if (!r || typeof r !== 'object' || Array.isArray(r) || r.source !== 'alarm' || typeof r.reason !== 'string')
    return raw;
  // eslint-disable-next-line no-control-regex -- control characters are what this folds away
  const folded = r.reason.replace(/[\0-\x1f\x7f]+/g, ' ').trim();
  return { ...r, reason: folded.length > 1000 ? `${folded.slice(0, 999)}…` : folded };
}

function parseTrigger(f: Fields): Trigger {
  // An odd alarm reason is folded rather than refused: it must never block an alarm-started failover.
  const raw = foldAlarmReason(f.raw('trigger'));
  if (raw === undefined || raw === null) return { source: 'manual' };
  const t = new Fields(raw, 'failover input', 'trigger');
  t.only(['source', 'alarmName', 'reason', 'time']);
  const source = t.oneOf('source', ['manual', 'alarm'] as const) ?? 'alarm';
  const alarmName = t.string('alarmName', {
    pattern: /^[A-Za-z0-9 _.:/#+=@-]{1,255}$/,
    hint: 'a CloudWatch alarm name',
    maxLength: 255,
  });
  const reason = t.string('reason', { pattern: ONE_LINE, hint: 'one line of text', maxLength: 1000 });
  const time = t.string('time', {
    pattern: /^\d{4}-\d\d-\d\dT[0-9:.]+Z?$/,
    hint: 'an ISO 8601 time',
    maxLength: 40,
  });
  f.problems.push(...t.problems);
  return {
    source,
    ...(alarmName ? { alarmName } : {}),
    ...(reason ? { reason } : {}),
    ...(time ? { time } : {}),
  };
}

/**
 * Validates the execution input, reporting every problem at once. `execution` is the context
 * object's execution id and name (the lock owner). Nothing runs on bad input.
 */
export function parseFailoverRequest(
  input: unknown,
  config: Config,
  execution: { id: string; name: string },
): FailoverRequest {
  const f = new Fields(input, 'failover input');
  f.only([...FAILOVER_FIELDS]);
  const mode = f.oneOf('mode', ['planned', 'unplanned'] as const);
  const primary = parseAppliance(f, 'primary', config.appliance.primary);
  const replica = parseAppliance(f, 'replica', config.appliance.replica);
  const traffic = parseTraffic(f);
  const reason = f.requiredString('reason', {
    pattern: ONE_LINE,
    hint: 'why, in one line (it goes into the notifications and the audit trail)',
    maxLength: 500,
  });
  const maxReplicationLagSeconds = f.integer('maxReplicationLagSeconds', {
    min: 0,
    max: 86_400,
    default: DEFAULTS.maxReplicationLagSeconds,
  });
  const trigger = parseTrigger(f);
  const requireApproval = f.boolean('requireApproval', false) || trigger.source !== 'manual';
  let force: { reason: string } | undefined;
  if (f.has('force')) {
    const g = new Fields(f.raw('force'), 'failover input', 'force');
    g.only(['reason']);
    const why = g.requiredString('reason', {
      pattern: ONE_LINE,
      hint: 'why replication health may be ignored',
      maxLength: 500,
    });
    f.problems.push(...g.problems);
    if (!g.problems.length) force = { reason: why };
  }
  const acknowledgeRecentFailover = f.boolean('acknowledgeRecentFailover', false);
  const antiFlappingMinutes = f.integer('antiFlappingMinutes', {
    min: 1,
    max: 10_080,
    default: DEFAULTS.antiFlappingMinutes,
  });
  const notify = f.emails('notify') ?? config.mail.notify;
  const hooks = parseHooks(f);
  const stopOldPrimary = f.boolean('stopOldPrimary', false);
  const teardownOldPrimary = f.boolean('teardownOldPrimary', false);
  const stayInMaintenance = f.boolean('stayInMaintenance', false);
  const promotionTimeoutMinutes = f.integer('promotionTimeoutMinutes', {
    min: 5,
    max: 240,
    default: DEFAULTS.promotionTimeoutMinutes,
  });
  const verifyTimeoutMinutes = f.integer('verifyTimeoutMinutes', {
    min: 1,
    max: 60,
    default: DEFAULTS.verifyTimeoutMinutes,
  });

  if (primary && replica) {
    checkPair(f, primary, replica, config);
    if (stopOldPrimary && !primary.instanceId)
      f.fail(
        'stopOldPrimary',
        "needs the primary's EC2 instance id (primary.instanceId, or an instance id as target)",
      );
    if (traffic?.kind === 'loadBalancer' && (!primary.instanceId || !replica.instanceId)) {
      f.fail(
        'traffic.loadBalancer',
        'needs the instance ids of both appliances (their load balancer targets)',
      );
    }
    if (traffic?.kind === 'route53' && !replica.address)
      f.fail(
        'replica.address',
        'is required for Route 53: the IPv4 address or host name the record will point to',
      );
    if (traffic?.kind === 'manual' && !replica.address)
      f.fail(
        'replica.address',
        'is required for manual traffic: the IPv4 address or host name you will point traffic.manual.hostname at (it is in the mail asking you to switch)',
      );
    if (mode === 'unplanned' && !primary.host)
      f.fail('primary.host', 'is required in unplanned mode: the host whose /status is the first observer');
  }
  if (stopOldPrimary && mode === 'planned')
    f.fail(
      'stopOldPrimary',
      'only applies to unplanned mode (a planned failover fences with maintenance mode)',
    );
  f.done();
  if (!EXECUTION_ID.test(execution.id) && !execution.id.startsWith('arn:aws:states:local:')) {
    throw new InputValidationError(
      [{ field: '(execution)', problem: 'the state machine did not pass $$.Execution.Id' }],
      'step event',
    );
  }
  return {
    mode: mode!,
    primary: primary!,
    replica: replica!,
    traffic: traffic!,
    reason,
    maxReplicationLagSeconds,
    requireApproval,
    ...(force ? { force } : {}),
    acknowledgeRecentFailover,
    antiFlappingMinutes,
    notify,
    hooks,
    stopOldPrimary,
    teardownOldPrimary,
    stayInMaintenance,
    promotionTimeoutMinutes,
    verifyTimeoutMinutes,
    trigger,
    execution,
  };
}

/** The pair must be the two configured appliances (either way round: the roles swap after a failover). */
function checkPair(f: Fields, primary: ApplianceRef, replica: ApplianceRef, config: Config): void {
  if (primary.target === replica.target) {
    f.fail('replica', 'must be a different appliance from the primary');
    return;
  }
  const configured = [config.appliance.primary, config.appliance.replica].filter(Boolean) as string[];
  const problems: FieldProblem[] = [];
  for (const [field, a] of [
    ['primary', primary],
    ['replica', replica],
  ] as const) {
    if (!configured.includes(a.target)) {
      problems.push({
        field,
        problem: `${JSON.stringify(a.target)} is not one of the configured appliances (${configured.join(', ') || 'none'})`,
      });
    }
  }
  f.problems.push(...problems);
}

/** True when `address` is an IPv4 address (an A record), else a host name (a CNAME). */
export function recordType(address: string): 'A' | 'CNAME' {
  return IPV4.test(address) ? 'A' : 'CNAME';
}
