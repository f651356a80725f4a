import { randomUUID } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AsyncInvoker } from './async-invoke.js';
import type { EngineEvent, LocalEngine } from './engine/local-engine.js';
import { cronMatches, rateMs } from './schedules.js';
import type { EventRule, ScheduleTrigger } from './serverless-triggers.js';

/**
 * The local EventBridge: the rules serverless.yml declares, matched with EventBridge's pattern
 * semantics against the events the local stack puts (the engine's "Step Functions Execution
 * Status Change" events, or any event through `put`), each target invoked as AWS does: functions
 * asynchronously (retries, failed spool), state machines started with the rule's input or input
 * transformer. And EventBridge Scheduler: schedules of functions and state machines.
 */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** EventBridge content filtering: exact values, `prefix`, `exists`, `anything-but`; nested objects. */
export function matchesPattern(pattern: Json, event: unknown): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([key, want]) => {
    const have = event[key];
    if (isObject(want)) return matchesPattern(want, have);
    if (!Array.isArray(want)) return false;
    const values = Array.isArray(have) ? have : [have];
    return want.some((w) => {
      if (isObject(w)) {
        if ('exists' in w) return (have !== undefined) === w.exists;
        if (typeof w.prefix === 'string')
          return values.some((v) => typeof v === 'string' && v.startsWith(w.prefix as string));
        if ('anything-but' in w) {
          const but = Array.isArray(w['anything-but']) ? w['anything-but'] : [w['anything-but']];
          return have !== undefined && values.every((v) => !but.includes(v));
        }
        return false;
      }
      return have !== undefined && values.some((v) => v === w);
    });
  });
}

const at = (event: unknown, jsonPath: string): unknown => {
  if (jsonPath === '$') return event;
  let cur: unknown = event;
  for (const part of jsonPath.replace(/^\$\.?/, '').split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
};

/**
 * An input transformer as EventBridge applies it: `<name>` inside a JSON string is replaced by the
 * value's text, outside one by the value as JSON; the result must be JSON.
 */
export function transformInput(
  t: { inputPathsMap: Record<string, string>; inputTemplate: string },
  event: unknown,
): unknown {
  const values = new Map(Object.entries(t.inputPathsMap).map(([k, p]) => [k, at(event, p)]));
  let out = '';
  let inString = false;
  const tpl = t.inputTemplate;
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i]!;
    if (c === '\\' && inString) {
      out += c + (tpl[i + 1] ?? '');
      i += 1;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === '<') {
      const end = tpl.indexOf('>', i);
      const name = end > i ? tpl.slice(i + 1, end) : '';
      if (values.has(name)) {
        const v = values.get(name);
        out += inString
          ? JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v ?? null)).slice(1, -1)
          : JSON.stringify(v ?? null);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return JSON.parse(out);
}

const STATUS: Record<string, string> = {
  ExecutionStarted: 'RUNNING',
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

export interface EventBusOptions {
  engine: LocalEngine;
  rules: EventRule[];
  invoker: AsyncInvoker;
  log: Logger;
}

export class LocalEventBus {
  private readonly starts = new Set<Promise<unknown>>();

  constructor(private readonly o: EventBusOptions) {
    o.engine.subscribe((event, arn) => this.onEngineEvent(event, arn));
  }

  /** Puts an event on the bus; returns the names of the rules it matched. */
  put(event: Omit<BusEvent, 'version' | 'id' | 'account' | 'region' | 'time'> & Partial<BusEvent>): string[] {
    const full: BusEvent = {
      version: '0',
      id: randomUUID(),
      account: this.o.engine.account,
      region: this.o.engine.region,
      time: new Date(this.o.engine.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...event,
    };
    const matched: string[] = [];
    for (const rule of this.o.rules) {
      if (!rule.enabled || !matchesPattern(rule.pattern, full)) continue;
      matched.push(rule.name);
      this.deliver(rule, full);
    }
    return matched;
  }

  /** Resolves once every delivery so far (function invocations and their retries, starts) ended. */
  async settled(): Promise<void> {
    while (this.starts.size) await Promise.all([...this.starts]);
    await this.o.invoker.settled();
  }

  private deliver(rule: EventRule, event: BusEvent): void {
    const t = rule.target;
    if (t.kind === 'function') {
      this.o.invoker.invoke(t.key, event);
      return;
    }
    let input: unknown;
    try {
      input = t.inputTransformer ? transformInput(t.inputTransformer, event) : (t.input ?? event);
    } catch (e) {
      this.o.log.error(`rule ${rule.name}: the input transformer did not give JSON`, {
        detail: (e as Error).message,
      });
      return;
    }
    const p = this.o.engine.startExecution(t.key, input).then(
      (s) => this.o.log.info(`rule ${rule.name}: started ${s.executionArn}`),
      (e: Error) =>
        this.o.log.error(`rule ${rule.name}: could not start ${t.key}`, { error: e.name, detail: e.message }),
    );
    this.starts.add(p);
    void p.finally(() => this.starts.delete(p));
  }

  /** Step Functions sends "Step Functions Execution Status Change" to the default bus. */
  private onEngineEvent(event: EngineEvent, executionArn: string): void {
    const status = STATUS[event.type];
    if (!status) return;
    const d = this.o.engine.describeExecution(executionArn);
    const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
    this.put({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: d.stateMachineArn,
        name: d.name,
        status,
        startDate: Date.parse(d.startDate),
        stopDate: d.stopDate ? Date.parse(d.stopDate) : null,
        input: json(d.input),
        inputDetails: { included: true },
        output: status === 'SUCCEEDED' ? json(d.output) : null,
        outputDetails: status === 'SUCCEEDED' ? { included: true } : null,
        error: d.error ?? null,
        cause: d.cause ?? null,
      },
    });
  }
}

/**
 * EventBridge Scheduler locally: each enabled schedule fires on the workflow clock (rate) or at
 * matching UTC minutes (cron); a function target is invoked asynchronously with the schedule's
 * input (`{}` when none), a state machine target is started with it. Returns a stop function.
 */
export function startSchedules(
  schedules: ScheduleTrigger[],
  o: { engine: LocalEngine; invoker: AsyncInvoker; clock: Clock; log: (line: string) => void },
): () => void {
  const timers: NodeJS.Timeout[] = [];
  for (const s of schedules) {
    const label = `${s.target.key} on ${s.expression}`;
    if (!s.enabled) {
      o.log(`  schedule ${label}: disabled (enable it in serverless.yml params)`);
      continue;
    }
    const fire = (): void => {
      if (s.target.kind === 'function') {
        o.invoker.invoke(s.target.key, s.input);
        o.log(`schedule ${label}: invoked ${s.target.key}`);
        return;
      }
      o.engine.startExecution(s.target.key, s.input).then(
        (e) => o.log(`schedule ${label}: started ${e.executionArn}`),
        (e: Error) => o.log(`schedule ${label}: could not start: ${e.message}`),
      );
    };
    const every = rateMs(s.expression);
    if (every !== undefined) {
      timers.push(setInterval(fire, every * o.clock.scale));
    } else {
      let last = '';
      timers.push(
        setInterval(() => {
          const now = new Date(o.clock.now());
          const minute = now.toISOString().slice(0, 16);
          if (minute !== last && cronMatches(s.expression, now)) fire();
          last = minute;
        }, 1000),
      );
    }
    o.log(
      `  schedule ${label}: enabled${s.timezone !== 'UTC' ? ' (local stack evaluates cron in UTC)' : ''}`,
    );
  }
  return () => timers.forEach((t) => clearInterval(t));
}
