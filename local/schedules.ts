/**
 * The schedule expressions of serverless.yml (read by local/serverless-triggers.ts) as the local
 * scheduler (local/events.ts) fires them: `rate(...)` and AWS `cron(...)` in UTC.
 */
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
