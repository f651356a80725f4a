import type { Config } from '../config.js';
import { Fields } from '../validate.js';
import { runbookSection } from '../runbook/settings.js';

/** A validated tls-certificate request: thresholds and window from the input, where to look from the settings. */
export interface TlsCertificateRequest {
  hostname: string;
  connectHost?: string;
  port: number;
  /** The appliance `ghe-ssl-acme` runs on (the configured primary). */
  target: string;
  warnDays: number;
  renewDays: number;
  criticalDays: number;
  /** Renew with ACME when due (false: report only). */
  renew: boolean;
  /** UTC hours [start, end) in which a renewal may run; absent: any time. */
  window?: { startHour: number; endHour: number };
  /** Approval of the second attempt: `ghe-ssl-acme -x` then `ghe-ssl-acme -e -v`. */
  recovery: boolean;
  notify: string[];
}

export const TLS_FIELDS = [
  'warnDays',
  'renewDays',
  'criticalDays',
  'renew',
  'maintenanceWindow',
  'recovery',
  'notify',
] as const;

export const SETTINGS_HINT =
  'set the tlsHostname param in serverless.yml (and tlsConnectHost when the Lambda must connect to another address), or runbook.tls locally.';

export function parseTlsCertificateRequest(input: unknown, config: Config): TlsCertificateRequest {
  const f = new Fields(input, 'tls-certificate input');
  f.only([...TLS_FIELDS]);
  const warnDays = f.integer('warnDays', { min: 1, max: 365, default: 30 });
  const renewDays = f.integer('renewDays', { min: 1, max: 89, default: 20 });
  const criticalDays = f.integer('criticalDays', { min: 0, max: 89, default: 7 });
  if (!(criticalDays <= renewDays && renewDays <= warnDays))
    f.fail(
      'renewDays',
      `thresholds must satisfy criticalDays (${criticalDays}) <= renewDays (${renewDays}) <= warnDays (${warnDays})`,
    );
  const renew = f.boolean('renew', true);
  const recovery = f.boolean('recovery', false);
  const windowText = f.string('maintenanceWindow', {
    pattern: /^([01][0-9]|2[0-3]):00-([01][0-9]|2[0-4]):00$/,
    hint: 'UTC hours such as "02:00-05:00"',
    maxLength: 11,
  });
  let window: TlsCertificateRequest['window'];
  if (windowText) {
    const [startHour, endHour] = windowText.split('-').map((t) => Number(t.slice(0, 2))) as [number, number];
    if (startHour === endHour) f.fail('maintenanceWindow', 'must not be empty (start and end differ)');
    window = { startHour, endHour };
  }
  const notify = f.emails('notify') ?? config.mail.notify;
  f.done();
  const tls = runbookSection(config.runbook, 'tls', SETTINGS_HINT);
  return {
    hostname: tls.hostname,
    ...(tls.connectHost ? { connectHost: tls.connectHost } : {}),
    port: tls.port,
    target: config.appliance.primary,
    warnDays,
    renewDays,
    criticalDays,
    renew,
    ...(window ? { window } : {}),
    recovery,
    notify,
  };
}

/** True when the UTC hour of `nowMs` is inside the window (which may wrap midnight). */
export function inWindow(window: TlsCertificateRequest['window'], nowMs: number): boolean {
  if (!window) return true;
  const h = new Date(nowMs).getUTCHours();
  return window.startHour < window.endHour
    ? h >= window.startHour && h < window.endHour
    : h >= window.startHour || h < window.endHour;
}
