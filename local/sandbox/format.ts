/** Small text helpers shared by the commands. */

/** Bytes as GHES tools print them: `51.0 MB` (1 MB = 1024 * 1024 bytes). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

const PERIOD = /^([1-9][0-9]{0,2})(minute|hour|day)s?$/;

/** `2days` -> `2 days`, `1hour` -> `1 hour`; null when it is not a period. */
export function humanPeriod(period: string): string | null {
  const m = PERIOD.exec(period);
  if (!m) return null;
  const n = Number(m[1]);
  return `${n} ${m[2]}${n === 1 ? '' : 's'}`;
}

/** The period in days (fractions for hours and minutes). */
export function periodDays(period: string): number {
  const m = PERIOD.exec(period);
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === 'day' ? n : m[2] === 'hour' ? n / 24 : n / 1440;
}

/** `20250602-090000` (UTC), for file names. */
export function fileTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}
