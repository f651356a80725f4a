import type { ErrorInfo } from '../errors.js';
import type { HookRun } from './hooks.js';
import type { LockInfo, ReleaseResult } from './lock.js';
import type { AntiFlapCheck } from './anti-flap.js';
import type { Preflight } from './preflight.js';
import type { Observers } from './observers.js';
import type { ApprovalDecision } from './approval.js';
import type { DrainCheck, FenceResult } from './fence.js';
import type { PromotionCheck, PromotionStart } from './promote.js';
import type { TrafficCheck, TrafficSwitch } from './traffic.js';
import type { VerifyCheck } from './verify.js';
import type { TeardownResult } from './teardown.js';
import type { RestoreResult } from './restore.js';
import { HOSTED_ZONE_ID, TARGET_GROUP_ARN, type FailoverRequest } from './request.js';
import { parseHooks } from './hooks.js';
import { Fields, isTarget, PATTERNS, TARGET_HINT } from '../validate.js';
import { InputValidationError } from '../errors.js';

/** The execution's state as it flows through statemachines/failover.asl.json: one key per step. */
export interface FailoverState {
  request: FailoverRequest;
  lock?: LockInfo;
  antiFlap?: AntiFlapCheck;
  preflight?: Preflight;
  observers?: Observers;
  approval?: ApprovalDecision;
  /** Manual traffic: the operator's confirmation that traffic was switched (the callback's output). */
  trafficConfirmation?: ApprovalDecision;
  preHooks?: HookRun[];
  fence?: FenceResult;
  drain?: DrainCheck;
  promotion?: PromotionStart;
  promotionCheck?: PromotionCheck;
  traffic?: TrafficSwitch;
  trafficCheck?: TrafficCheck;
  verify?: VerifyCheck;
  teardown?: TeardownResult;
  postHooks?: HookRun[];
  release?: ReleaseResult;
  /** The failure path: maintenance mode taken off again when the failover stopped before promotion. */
  restore?: RestoreResult;
  /** Set by a Catch: the error that sent the execution to the failure path. */
  error?: ErrorInfo;
  /** Set by RestoreService's Catch: the restore step itself failed. */
  restoreError?: ErrorInfo;
}

/** Step results and Catch outputs the state machine may add besides `request` (statemachines/failover.asl.json). */
const STEP_OBJECTS = [
  'lock',
  'antiFlap',
  'preflight',
  'observers',
  'approval',
  'trafficConfirmation',
  'fence',
  'drain',
  'promotion',
  'promotionCheck',
  'traffic',
  'trafficCheck',
  'verify',
  'teardown',
  'release',
  'restore',
  'outcome',
] as const;
const STEP_LISTS = ['preHooks', 'postHooks'] as const;
const CAUGHT_ERRORS = ['error', 'releaseError', 'restoreError', 'notifyError'] as const;

const WHAT = 'failover state';
/** One address, no white space, comma or angle bracket (nothing that could add a mail header or recipient). */
const NOTIFY_ADDRESS = /^[^\s@<>,]+@[^\s@<>,]+$/;
const FIX =
  'the state is built by the ValidateInput step; a step that gets it otherwise means the definition and the handler disagree: start a new execution from statemachines/failover.asl.json';

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 60);

/** Checks a field with a predicate; the problem says what was expected and what came. */
function expect(f: Fields, field: string, ok: (v: unknown) => boolean, expected: string): void {
  const v = f.raw(field);
  if (!ok(v))
    f.fail(
      field,
      v === undefined ? `is missing: expected ${expected}` : `must be ${expected}, got ${show(v)}`,
    );
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isWhole = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isBool = (v: unknown): boolean => typeof v === 'boolean';
const optional =
  (ok: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    v === undefined || ok(v);
const matches =
  (pattern: RegExp) =>
  (v: unknown): boolean =>
    typeof v === 'string' && pattern.test(v);

/** A sub-object's problems, named under the parent's prefix; undefined when it is not an object. */
function nested(f: Fields, field: string, check: (g: Fields) => void): void {
  const raw = f.raw(field);
  if (!isObject(raw)) {
    f.fail(
      field,
      raw === undefined ? 'is missing: expected an object' : `must be an object, got ${show(raw)}`,
    );
    return;
  }
  const g = new Fields(raw, WHAT, f.name(field));
  check(g);
  f.problems.push(...g.problems);
}

function checkAppliance(g: Fields): void {
  expect(g, 'target', (v) => typeof v === 'string' && isTarget(v), TARGET_HINT);
  for (const key of ['host', 'address'] as const)
    expect(g, key, optional(matches(PATTERNS.host)), 'a host name or an IPv4 address');
  expect(g, 'instanceId', optional(matches(PATTERNS.instanceId)), 'an EC2 instance id');
}

function checkTraffic(g: Fields): void {
  const kind = g.raw('kind');
  if (kind === 'route53') {
    expect(g, 'hostedZoneId', matches(HOSTED_ZONE_ID), 'a Route 53 hosted zone id');
    expect(g, 'recordName', matches(PATTERNS.host), 'a host name');
    expect(g, 'ttl', isWhole, 'a whole number of seconds');
  } else if (kind === 'loadBalancer') {
    expect(g, 'targetGroupArn', matches(TARGET_GROUP_ARN), 'an ELBv2 target group ARN');
    expect(g, 'port', (v) => isWhole(v) && (v as number) >= 1 && (v as number) <= 65535, 'a port number');
    expect(g, 'publicName', matches(PATTERNS.host), 'a host name');
  } else if (kind === 'manual') {
    expect(g, 'hostname', matches(PATTERNS.host), 'a host name');
  } else {
    g.fail('kind', `must be "route53", "loadBalancer" or "manual", got ${show(kind)}`);
  }
}

/**
 * Checks a request that `parseFailoverRequest` produced and the state machine carried from step
 * to step: every field a step reads has its type, the values that reach commands, DNS and AWS
 * calls match the same patterns as at the edge, and the hooks pass the same allow-list again.
 * Problems are collected into `f` under `request.`.
 */
function checkRequest(f: Fields, field: string): void {
  nested(f, field, (r) => {
    expect(r, 'mode', (v) => v === 'planned' || v === 'unplanned', '"planned" or "unplanned"');
    nested(r, 'primary', checkAppliance);
    nested(r, 'replica', checkAppliance);
    nested(r, 'traffic', checkTraffic);
    expect(r, 'reason', isString, 'the reason, a non-empty string');
    for (const key of [
      'maxReplicationLagSeconds',
      'antiFlappingMinutes',
      'promotionTimeoutMinutes',
      'verifyTimeoutMinutes',
    ] as const)
      expect(r, key, isWhole, 'a whole number');
    for (const key of [
      'requireApproval',
      'acknowledgeRecentFailover',
      'stopOldPrimary',
      'teardownOldPrimary',
      'stayInMaintenance',
    ] as const)
      expect(r, key, isBool, 'true or false');
    expect(
      r,
      'force',
      optional((v) => isObject(v) && isString(v.reason)),
      '{"reason": "..."}',
    );
    expect(
      r,
      'notify',
      // What the request may carry: validated input, or the configured list (locally `ops@localhost`).
      (v) => Array.isArray(v) && v.every((a) => typeof a === 'string' && NOTIFY_ADDRESS.test(a)),
      'a list of email addresses',
    );
    if (!isObject(r.raw('hooks'))) expect(r, 'hooks', isObject, '{"pre": [...], "post": [...]}');
    else parseHooks(r);
    expect(
      r,
      'trigger',
      (v) => isObject(v) && (v.source === 'manual' || v.source === 'alarm'),
      '{"source": "manual" | "alarm", ...}',
    );
    nested(r, 'execution', (e) => {
      expect(e, 'id', isString, "the execution's ARN");
      expect(e, 'name', isString, "the execution's name");
    });
  });
}

/** The request alone (steps given `request.$: $.request`). Throws `InputValidationError` naming every bad field. */
export function parseFailoverRequestState(input: unknown, what = 'request'): FailoverRequest {
  const f = new Fields({ [what]: input }, WHAT);
  checkRequest(f, what);
  finish(f);
  return input as FailoverRequest;
}

/**
 * Validates the failover state a step receives, once, before any logic runs: the request (as
 * above) and the type of every step result present. Returns the same object, now typed. Keys the
 * state machine adds that no step reads are left alone.
 */
export function parseFailoverState(input: unknown, what = '(state)'): FailoverState {
  if (!isObject(input)) {
    throw new InputValidationError(
      [{ field: what, problem: `must be a JSON object, got ${show(input)}; ${FIX}` }],
      WHAT,
    );
  }
  const prefix = what === '(state)' ? '' : what;
  const f = new Fields(input, WHAT, prefix);
  checkRequest(f, 'request');
  for (const key of STEP_OBJECTS) expect(f, key, optional(isObject), 'an object (the step result)');
  for (const key of STEP_LISTS) expect(f, key, optional(Array.isArray), 'a list (the hook runs)');
  for (const key of CAUGHT_ERRORS)
    expect(
      f,
      key,
      optional((v) => isObject(v) && typeof v.Error === 'string'),
      '{"Error", "Cause"} from a Catch',
    );
  finish(f);
  return input as unknown as FailoverState;
}

function finish(f: Fields): void {
  if (f.problems.length)
    throw new InputValidationError(
      f.problems.map((p, i) =>
        i === f.problems.length - 1 ? { ...p, problem: `${p.problem} (${FIX})` } : p,
      ),
      WHAT,
    );
}
