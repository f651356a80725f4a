import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * The schedules declared in serverless.yml (`stepFunctions.stateMachines.*.events[].schedule`),
 * read for the local stack so that one file declares them for both engines. `${param:x}` is
 * resolved from `params.default`, `${sls:stage}` is `local`.
 */
export interface LocalSchedule {
  stateMachine: string;
  expression: string;
  timezone: string;
  enabled: boolean;
  input: unknown;
}

type Json = Record<string, unknown>;

function resolveVars(value: unknown, params: Json): unknown {
  if (typeof value === 'string') {
    const bool = /^\$\{strToBool\((.*)\)\}$/.exec(value);
    if (bool) return String(resolveVars(bool[1], params)).trim() === 'true';
    return value.replace(/\$\{(param|sls):([A-Za-z0-9_]+)\}/g, (_m, kind: string, name: string) =>
      kind === 'sls' ? (name === 'stage' ? 'local' : '') : String(params[name] ?? ''),
    );
  }
  if (Array.isArray(value)) return value.map((v) => resolveVars(v, params));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVars(v, params)]));
  }
  return value;
}

export function readSchedules(root: string): LocalSchedule[] {
  const doc = parse(readFileSync(path.join(root, 'serverless.yml'), 'utf8')) as Json;
  const params = ((doc.params as Json | undefined)?.default ?? {}) as Json;
  const machines = ((doc.stepFunctions as Json | undefined)?.stateMachines ?? {}) as Record<string, Json>;
  const out: LocalSchedule[] = [];
  for (const machine of Object.values(machines)) {
    const file = /statemachines\/([A-Za-z0-9_-]+)\.asl\.json/.exec(String(machine.definition ?? ''));
    if (!file?.[1]) continue;
    for (const event of (machine.events as Json[] | undefined) ?? []) {
      const schedule = resolveVars(event.schedule, params) as Json | undefined;
      if (!schedule) continue;
      out.push({
        stateMachine: file[1],
        expression: String(schedule.rate ?? ''),
        timezone: String(schedule.timezone ?? 'UTC'),
        enabled: schedule.enabled !== false,
        input: schedule.input ?? {},
      });
    }
  }
  return out;
}

const RATE = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const DOW = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MON = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

function fieldMatches(expr: string, value: number, min: number, names?: string[], offset = 0): boolean {
  if (expr === '*' || expr === '?') return true;
  return expr.split(',').some((part) => {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    const toNum = (s: string): number => {
      const i = names?.indexOf(s.toUpperCase()) ?? -1;
      return i >= 0 ? i + offset : Number(s);
    };
    let lo: number;
    let hi: number;
    if (range === '*' || range === undefined) [lo, hi] = [min, Number.MAX_SAFE_INTEGER];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(toNum) as [number, number];
    else [lo, hi] = stepText ? [toNum(range), Number.MAX_SAFE_INTEGER] : [toNum(range), toNum(range)];
    return value >= lo && value <= hi && (value - lo) % step === 0;
  });
}

/** True when an AWS `cron(min hour dom month dow year)` expression fires in the UTC minute of `at`. */
export function cronMatches(expression: string, at: Date): boolean {
  const m = /^cron\((.*)\)$/.exec(expression.trim());
  const fields = m?.[1]?.trim().split(/\s+/);
  if (!fields || fields.length !== 6) throw new Error(`not an AWS cron expression: ${expression}`);
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  return (
    fieldMatches(min, at.getUTCMinutes(), 0) &&
    fieldMatches(hour, at.getUTCHours(), 0) &&
    fieldMatches(dom, at.getUTCDate(), 1) &&
    fieldMatches(month, at.getUTCMonth() + 1, 1, MON, 1) &&
    fieldMatches(dow, at.getUTCDay() + 1, 1, DOW, 1) &&
    fieldMatches(year, at.getUTCFullYear(), 1970)
  );
}

/** Milliseconds between runs for `rate(...)`, or undefined for a cron expression. */
export function rateMs(expression: string): number | undefined {
  const m = RATE.exec(expression.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNIT_MS[(m[2] ?? '').replace(/s$/, '')] ?? 0);
}
