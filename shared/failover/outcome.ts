import { causeMessage } from '../errors.js';
import { formatDuration, sendNotification, type NotifyResult } from '../mail/notify.js';
import type { Deps } from '../runtime/deps.js';
import { describeProbe } from '../http/appliance-http.js';
import { iso } from './names.js';
import type { FailoverState } from './state.js';
import { clockTime } from './restore.js';
import { recordType } from './request.js';

/**
 * The end of an execution: which step failed, what kind of outcome it is, the state things were
 * left in, the timeline, and the notification. Success and every failure path end here.
 */
export type OutcomeKind =
  | 'failed-over'
  | 'refused'
  | 'rejected'
  | 'approval-timeout'
  | 'fence-failed'
  | 'promotion-failed'
  | 'promoted-traffic-not-switched'
  | 'not-verified'
  | 'failed-after-failover';

export interface TimelineEntry {
  step: string;
  at: string;
  durationSeconds: number;
  detail: string;
  output?: string;
}

export interface FailoverOutcome {
  kind: OutcomeKind;
  /** The execution's error name (Fail state), absent on success. */
  error?: string;
  cause?: string;
  failedStep?: string;
  stateLeft: string[];
  timeline: TimelineEntry[];
  durationSeconds: number;
  notification: NotifyResult & { error?: string };
}

type Step = { name: string; done: (s: FailoverState) => boolean };

/** The steps in order; the first not done is the one that failed. */
const STEPS: Step[] = [
  { name: 'AcquireLock', done: (s) => !!s.lock },
  { name: 'CheckRecentFailover', done: (s) => !!s.antiFlap },
  { name: 'Preflight', done: (s) => !!s.preflight },
  { name: 'ObservePrimary', done: (s) => s.request.mode === 'planned' || !!s.observers },
  { name: 'RequestApproval', done: (s) => !s.request.requireApproval || !!s.approval },
  { name: 'PreHooks', done: (s) => !!s.preHooks },
  { name: 'FencePrimary', done: (s) => !!s.fence },
  { name: 'CheckDrain', done: (s) => s.request.mode === 'unplanned' || s.drain?.state === 'done' },
  { name: 'StartPromotion', done: (s) => !!s.promotion },
  { name: 'CheckPromotion', done: (s) => s.promotionCheck?.state === 'succeeded' },
  {
    name: 'ConfirmTrafficSwitch',
    done: (s) => s.request.traffic.kind !== 'manual' || !!s.trafficConfirmation,
  },
  { name: 'SwitchTraffic', done: (s) => !!s.traffic },
  { name: 'CheckTraffic', done: (s) => s.trafficCheck?.state === 'done' },
  { name: 'Verify', done: (s) => s.verify?.state === 'done' },
  { name: 'PostHooks', done: (s) => !!s.postHooks },
  { name: 'Teardown', done: (s) => !!s.teardown },
];

function failedStep(state: FailoverState): string | undefined {
  return STEPS.find((s) => !s.done(state))?.name;
}

function classify(state: FailoverState): { kind: OutcomeKind; error?: string } {
  const err = state.error?.Error;
  if (!state.error) return { kind: 'failed-over' };
  const promoted = state.promotionCheck?.state === 'succeeded';
  if (state.verify?.state === 'done') return { kind: 'failed-after-failover', error: err };
  if (promoted && state.trafficCheck?.state === 'done') return { kind: 'not-verified', error: err };
  if (promoted) return { kind: 'promoted-traffic-not-switched', error: 'PromotedButTrafficNotSwitched' };
  if (state.promotion) return { kind: 'promotion-failed', error: err };
  if (err === 'FailoverRejected') return { kind: 'rejected', error: err };
  if (err === 'States.Timeout' && failedStep(state) === 'RequestApproval')
    return { kind: 'approval-timeout', error: 'ApprovalTimedOut' };
  if (state.fence) return { kind: 'fence-failed', error: err };
  return { kind: 'refused', error: err };
}

function stateLeft(state: FailoverState, kind: OutcomeKind): string[] {
  const { request } = state;
  const p = request.primary.target;
  const r = request.replica.target;
  const traffic =
    request.traffic.kind === 'route53'
      ? `DNS ${request.traffic.recordName}`
      : request.traffic.kind === 'manual'
        ? `${request.traffic.hostname} (switched by hand)`
        : `target group ${request.traffic.targetGroupArn}`;
  const lock = state.release
    ? `lock: ${state.release.note}`
    : 'lock: NOT confirmed released (the execution-ended handler or the stale-lock rule frees it)';
  const fenced = state.fence?.actions.filter((a) => a.ok).map((a) => a.action) ?? [];
  const lines: string[] = [];
  switch (kind) {
    case 'failed-over':
    case 'failed-after-failover':
      lines.push(
        `${r} is the primary and answers through ${state.verify?.publicName ?? traffic}.`,
        `old primary ${p}: ${fenced.length ? `fenced (${fenced.join('; ')})` : 'not fenced (it was down)'}; ${state.teardown?.note ?? ''}`,
      );
      if (state.fence?.notFenced.length) lines.push(`NOT fenced: ${state.fence.notFenced.join('; ')}`);
      lines.push(
        'Re-establish high availability: configure a new replica (ghe-repl-setup, ghe-repl-start) from the new primary.',
      );
      break;
    case 'refused':
    case 'rejected':
    case 'approval-timeout':
      lines.push(
        `Nothing was changed: ${p} is still the primary${request.mode === 'unplanned' ? ' (reported down)' : ''}, ${r} is still its replica, ${traffic} untouched.`,
      );
      break;
    case 'fence-failed': {
      const rs = state.restore;
      if (rs?.state === 'restored')
        lines.push(
          `Nothing changed: ${p} is still the primary and out of maintenance mode again since ${clockTime(rs.restoredAt!)} (service restored: ${rs.actions.map((a) => a.action).join('; ')}); ${r} is still its replica, ${traffic} untouched.`,
        );
      else if (rs?.state === 'kept') lines.push(`Nothing was promoted; ${rs.note}.`);
      else
        lines.push(
          `Nothing was promoted. ${p} MAY STILL BE IN MAINTENANCE MODE (users see the maintenance page): ${rs ? rs.note : 'the restore step did not run'}${state.restoreError ? ` (${state.restoreError.Error})` : ''}. Run \`ghe-maintenance -u\` on it to end the outage, or retry the failover.`,
        );
      break;
    }
    case 'promotion-failed':
      lines.push(
        `Promotion of ${r} did not succeed: it is in maintenance mode and its replication may be stopped. ${p} is ${fenced.length ? 'fenced (maintenance mode)' : 'down'}.`,
        `GHES IS PROBABLY UNAVAILABLE TO USERS. ${traffic} still points at ${p} (not switched).`,
      );
      break;
    case 'promoted-traffic-not-switched':
      lines.push(
        `${r} HAS BEEN PROMOTED and accepts requests, but ${traffic} STILL SENDS USERS TO ${p} (${fenced.length ? 'fenced' : 'down'}).`,
        request.traffic.kind === 'route53'
          ? `Switch it by hand NOW: point ${request.traffic.recordName} (zone ${request.traffic.hostedZoneId}) at ${request.replica.address} (TTL ${request.traffic.ttl}).`
          : request.traffic.kind === 'manual'
            ? `Traffic was NOT confirmed switched. Switch it by hand NOW: point ${request.traffic.hostname} (${recordType(request.replica.address!)} record, or your load balancer's target) at ${request.replica.address}, then check https://${request.traffic.hostname}/status answers 200.`
            : `Move the target by hand NOW: register ${request.replica.instanceId} and deregister ${request.primary.instanceId} in ${request.traffic.targetGroupArn}.`,
        `Do NOT bring ${p} back as a primary: two primaries would split the brain.`,
      );
      break;
    case 'not-verified':
      lines.push(
        `${r} was promoted and traffic was switched, but verification failed: users may not reach GHES. Check ${r} and ${traffic} by hand.`,
      );
      break;
  }
  lines.push(lock);
  return lines;
}

function entry(
  step: string,
  at: string | undefined,
  prev: number,
  detail: string,
  output?: string,
): TimelineEntry | undefined {
  if (!at) return undefined;
  const t = Date.parse(at);
  return {
    step,
    at,
    durationSeconds: Math.max(0, Math.round((t - prev) / 1000)),
    detail,
    ...(output ? { output } : {}),
  };
}

function timeline(state: FailoverState): TimelineEntry[] {
  const s = state;
  const rows: [string, string | undefined, string, string?][] = [
    [
      'lock',
      s.lock?.acquiredAt,
      s.lock
        ? `acquired ${s.lock.name}${s.lock.takenOverFrom ? ` (stale lock of ${s.lock.takenOverFrom.owner} taken over: ${s.lock.takenOverFrom.why})` : ''}`
        : '',
    ],
    [
      'preflight',
      s.preflight?.at,
      s.preflight
        ? `${s.preflight.command} on ${s.request.replica.target}: exit ${s.preflight.exitCode}, ${s.preflight.channels.filter((c) => c.status === 'OK').length}/${s.preflight.channels.length} channels OK${s.preflight.accepted ? `; ${s.preflight.accepted}` : ''}${s.preflight.forced ? `; FORCED: ${s.preflight.forced}` : ''}; traffic: ${s.preflight.traffic?.detail ?? 'not checked'}`
        : '',
      s.preflight?.channels.map((c) => c.line).join('\n'),
    ],
    [
      'observers',
      s.observers?.at,
      s.observers
        ? `/status ${describeProbe(s.observers.http.probe)}; runner: ${s.observers.runner.detail}`
        : '',
    ],
    [
      'approval',
      s.approval?.at,
      s.approval
        ? `approved by ${s.approval.by} (${s.approval.via})${s.approval.reason ? `: ${s.approval.reason}` : ''}`
        : '',
    ],
    [
      'pre-hooks',
      s.preHooks?.at(-1)?.at,
      s.preHooks?.map((h) => `${h.command}: ${h.ok ? 'ok' : 'FAILED'}`).join('; ') ?? '',
    ],
    [
      'fence',
      s.fence?.at,
      s.fence
        ? s.fence.actions.map((a) => `${a.action}: ${a.ok ? 'ok' : 'FAILED'} (${a.detail})`).join('; ')
        : '',
    ],
    [
      'drain',
      s.drain?.at,
      s.drain
        ? `${s.drain.state}${s.drain.measured ? '' : ' (counters unreadable: fixed wait)'}, ${s.drain.polls} polls; waiting for ${s.drain.waitingFor ?? '?'}${s.drain.forced ? `; FORCED: ${s.drain.forced}` : ''}`
        : '',
      s.drain?.replication?.lines.join('\n'),
    ],
    [
      'promotion started',
      s.promotion?.startedAt,
      s.promotion
        ? `${s.promotion.command} on ${s.request.replica.target} (maintenance mode set on it first), detached: process ${s.promotion.pid ?? 'unknown'}, output in ${s.promotion.outputFile}${s.promotion.reattached ? ' (found again after the start step was retried)' : ''}`
        : '',
    ],
    [
      'promotion',
      s.promotionCheck?.at,
      s.promotionCheck
        ? `${s.promotionCheck.state} after ${s.promotionCheck.elapsedSeconds}s, ${s.promotionCheck.polls} polls`
        : '',
      s.promotionCheck?.output,
    ],
    [
      'traffic switched',
      s.traffic?.submittedAt,
      s.traffic
        ? s.traffic.record
          ? `UPSERT ${s.traffic.record.name} ${s.traffic.record.type} ${s.traffic.record.value} (TTL ${s.traffic.record.ttl}), change ${s.traffic.changeId}`
          : s.traffic.kind === 'manual'
            ? `${s.traffic.hostname} switched by hand, confirmed by ${s.traffic.confirmedBy}`
            : `registered ${s.traffic.registered}, deregistered ${s.traffic.deregistered}`
        : '',
    ],
    [
      'traffic settled',
      s.trafficCheck?.at,
      s.trafficCheck
        ? `${s.trafficCheck.state}${s.trafficCheck.insyncAt ? `, INSYNC at ${s.trafficCheck.insyncAt}, TTL until ${s.trafficCheck.ttlUntil}` : ''}${s.trafficCheck.targetHealth ? `, target ${s.trafficCheck.targetHealth}` : ''}${s.trafficCheck.status ? `, /status ${s.trafficCheck.status}` : ''}`
        : '',
    ],
    [
      'verify',
      s.verify?.at,
      s.verify
        ? `https://${s.verify.publicName}/status ${describeProbe(s.verify.probe)}; ${s.verify.noLongerReplica ? 'no longer a replica' : 'still looks like a replica'}`
        : '',
      s.verify?.replStatus,
    ],
    [
      'post-hooks',
      s.postHooks?.at(-1)?.at,
      s.postHooks?.map((h) => `${h.command}: ${h.ok ? 'ok' : 'FAILED'}`).join('; ') ?? '',
    ],
    [
      'restore',
      s.restore?.state === 'not-needed' ? undefined : s.restore?.at,
      s.restore
        ? `${s.restore.state}: ${s.restore.note}${s.restore.actions.length ? ` (${s.restore.actions.map((a) => `${a.action}: ${a.ok ? 'ok' : 'FAILED'}`).join('; ')})` : ''}`
        : '',
    ],
    [
      'teardown',
      s.teardown?.at,
      s.teardown ? `${s.teardown.state}: ${s.teardown.command ?? ''} ${s.teardown.note}` : '',
      s.teardown?.output,
    ],
  ];
  const out: TimelineEntry[] = [];
  let prev = s.lock ? Date.parse(s.lock.acquiredAt) : NaN;
  for (const [step, at, detail, output] of rows) {
    const e = entry(step, at, Number.isNaN(prev) && at ? Date.parse(at) : prev, detail, output);
    if (!e) continue;
    out.push(e);
    prev = Date.parse(e.at);
  }
  return out;
}

function subject(
  state: FailoverState,
  kind: OutcomeKind,
  error: string | undefined,
  step: string | undefined,
  seconds: number,
): string {
  const { primary, replica } = state.request;
  const pair = `${primary.target} -> ${replica.target}`;
  switch (kind) {
    case 'failed-over':
      return `[ghes-ops] Failover done: ${replica.target} is the primary (${pair}, ${formatDuration(seconds)})`;
    case 'promoted-traffic-not-switched':
      return `[ghes-ops] URGENT: ${replica.target} PROMOTED BUT TRAFFIC NOT SWITCHED (PromotedButTrafficNotSwitched)`;
    case 'refused':
    case 'rejected':
    case 'approval-timeout':
      return `[ghes-ops] Failover ${pair} not done (${error}): nothing changed`;
    case 'fence-failed':
      if (state.restore?.state === 'restored')
        return `[ghes-ops] Failover ${pair} not done (${error}): nothing changed, service restored at ${clockTime(state.restore.restoredAt!)}`;
      if (state.restore?.state === 'kept')
        return `[ghes-ops] Failover ${pair} not done (${error}): nothing promoted, ${primary.target} left in maintenance mode as requested`;
      return `[ghes-ops] Failover ${pair} FAILED at ${step ?? 'a step'} (${error}): ${primary.target} MAY STILL BE IN MAINTENANCE MODE`;
    default:
      return `[ghes-ops] Failover ${pair} FAILED at ${step ?? 'a step'} (${error})`;
  }
}

/** Builds the outcome and the email text (no sending). */
function composeOutcome(
  state: FailoverState,
  nowMs: number,
): { outcome: Omit<FailoverOutcome, 'notification'>; subject: string; text: string } {
  const { kind, error } = classify(state);
  const step = state.error ? failedStep(state) : undefined;
  const start = state.lock ? Date.parse(state.lock.acquiredAt) : nowMs;
  const durationSeconds = Math.max(0, Math.round((nowMs - start) / 1000));
  const left = stateLeft(state, kind);
  const tl = timeline(state);
  const originalCause = state.error ? causeMessage(state.error.Cause) : undefined;
  const cause =
    kind === 'promoted-traffic-not-switched' &&
    step === 'ConfirmTrafficSwitch' &&
    state.error?.Error === 'States.Timeout'
      ? `${state.request.replica.target} was promoted, but nobody confirmed the manual traffic switch before the wait timed out: traffic was NOT confirmed switched.`
      : kind === 'promoted-traffic-not-switched'
        ? `${state.request.replica.target} was promoted, but switching traffic failed at ${step} (${state.error?.Error}): ${originalCause}`
        : kind === 'approval-timeout'
          ? 'Nobody approved or rejected the failover within the approval timeout. Nothing was changed.'
          : originalCause;
  const { request } = state;
  const lines: string[] = [];
  if (kind === 'promoted-traffic-not-switched') lines.push('!!! ACTION NEEDED NOW !!!', '');
  lines.push(
    kind === 'failed-over'
      ? `The ${request.mode} failover succeeded: ${request.replica.target} is the primary.`
      : `The ${request.mode} failover ${request.primary.target} -> ${request.replica.target} did not complete: ${kind}.`,
    '',
  );
  if (state.error)
    lines.push(
      `Failed step: ${step ?? '(unknown)'}`,
      `Error:       ${error}${error !== state.error.Error ? ` (from ${state.error.Error})` : ''}`,
      '',
      cause ?? '',
      '',
    );
  lines.push('State left:', ...left.map((l) => `  - ${l}`), '');
  lines.push(
    `Reason: ${request.reason}`,
    `Execution: ${request.execution.id}`,
    `Trigger: ${request.trigger.source}${request.trigger.alarmName ? ` (alarm ${request.trigger.alarmName})` : ''}`,
    `Duration: ${formatDuration(durationSeconds)}`,
    '',
  );
  lines.push('Timeline:');
  for (const e of tl) {
    lines.push(`  ${e.at}  +${String(e.durationSeconds).padStart(4)}s  ${e.step}: ${e.detail}`);
    if (e.output)
      lines.push(
        ...e.output
          .split('\n')
          .slice(-15)
          .map((l) => `      ${l}`),
      );
  }
  lines.push('', '-- ghes-ops failover workflow');
  return {
    outcome: {
      kind,
      ...(error ? { error } : {}),
      ...(cause ? { cause } : {}),
      ...(step ? { failedStep: step } : {}),
      stateLeft: left,
      timeline: tl,
      durationSeconds,
    },
    subject: subject(state, kind, error, step, durationSeconds),
    text: lines.join('\n'),
  };
}

/** Composes and sends the outcome. A mail failure is recorded, never thrown: it must not hide the outcome. */
export async function notifyFailoverOutcome(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'mailer'>,
): Promise<FailoverOutcome> {
  const { outcome, subject: subj, text } = composeOutcome(state, deps.clock.now());
  let notification: FailoverOutcome['notification'];
  try {
    notification = await sendNotification(state.request.notify, { subject: subj, text }, deps);
  } catch (error) {
    const e = error as Error;
    deps.log.error('failover outcome email failed', { error: e.name, message: e.message });
    notification = { sent: false, to: state.request.notify, error: `${e.name}: ${e.message}` };
  }
  deps.log.info('failover outcome', { kind: outcome.kind, error: outcome.error, at: iso(deps.clock.now()) });
  return { ...outcome, notification };
}
