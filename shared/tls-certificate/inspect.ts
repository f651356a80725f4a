import { command } from '../appliance/command.js';
import type { Deps } from '../runtime/deps.js';
import type { ServedCertificate } from '../tls/tls-probe.js';
import { outputTail } from '../support-bundle/output.js';
import { inWindow, type TlsCertificateRequest } from './request.js';

/** `ghe-ssl-acme -s` as read (a field report format: "Key:   value" lines; unknown lines kept). */
export interface AcmeStatus {
  /** true/false when the line was there; undefined when the status could not be read. */
  acmeEnabled?: boolean;
  sslEnabled?: boolean;
  activeCa?: string;
  provider?: string;
  exitCode: number;
  output: string;
}

export function parseAcmeStatus(stdout: string, exitCode: number): AcmeStatus {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n').slice(0, 200)) {
    const m = /^([A-Za-z][A-Za-z0-9 -]{0,40}):\s*(.*)$/.exec(line.trim());
    if (m?.[1]) fields.set(m[1].toLowerCase(), (m[2] ?? '').trim());
  }
  const bool = (k: string): boolean | undefined =>
    fields.get(k) === 'true' ? true : fields.get(k) === 'false' ? false : undefined;
  const acmeEnabled = exitCode === 0 ? bool('acme enabled') : undefined;
  const sslEnabled = exitCode === 0 ? bool('ssl enabled') : undefined;
  return {
    ...(acmeEnabled !== undefined ? { acmeEnabled } : {}),
    ...(sslEnabled !== undefined ? { sslEnabled } : {}),
    ...(fields.get('active certificate ca') ? { activeCa: fields.get('active certificate ca') } : {}),
    ...(fields.get('acme provider') ? { provider: fields.get('acme provider') } : {}),
    exitCode,
    output: outputTail(stdout, 20, 2000),
  };
}

export type TlsStatus = 'ok' | 'warn' | 'renew-due' | 'critical' | 'expired' | 'hostname-mismatch';
export type TlsDecision = 'ok' | 'report' | 'renew' | 'outside-window';

export interface Verdict {
  ok: boolean;
  error?: string;
  cause?: string;
}

export interface TlsInspection {
  served: ServedCertificate;
  acme: AcmeStatus;
  daysLeft: number;
  status: TlsStatus;
  decision: TlsDecision;
  findings: string[];
  verdict: Verdict;
  checkedAt: string;
}

export const acmeStatusCommand = () => command('ghe-ssl-acme', '-s');

/**
 * Read-only: the served certificate (a TLS handshake to the hostname) and the appliance's ACME
 * state. Classifies by days left (warn, renew, critical thresholds), the name and the chain, and
 * decides: renew (ACME enabled, due, inside the window, the name matches), report, or nothing.
 */
export async function inspectCertificate(
  request: TlsCertificateRequest,
  deps: Pick<Deps, 'tlsProbe' | 'runner' | 'clock' | 'log'>,
): Promise<TlsInspection> {
  const served = await deps.tlsProbe.probe({
    hostname: request.hostname,
    ...(request.connectHost ? { connectHost: request.connectHost } : {}),
    port: request.port,
  });
  const status = await deps.runner.run(request.target, acmeStatusCommand(), { timeoutSeconds: 60 });
  const acme = parseAcmeStatus(status.stdout, status.exitCode);
  const now = deps.clock.now();
  const leaf = served.chain[0]!;
  const daysLeft = Math.floor((Date.parse(leaf.validTo) - now) / 86_400_000);
  const findings: string[] = [];
  let tlsStatus: TlsStatus;
  if (!served.hostnameMatches) tlsStatus = 'hostname-mismatch';
  else if (daysLeft < 0) tlsStatus = 'expired';
  else if (daysLeft <= request.criticalDays) tlsStatus = 'critical';
  else if (daysLeft <= request.renewDays) tlsStatus = 'renew-due';
  else if (daysLeft <= request.warnDays) tlsStatus = 'warn';
  else tlsStatus = 'ok';
  findings.push(
    `${request.hostname} serves a certificate for ${leaf.dnsNames.join(', ') || leaf.subject}, issued by ${leaf.issuer}, valid until ${leaf.validTo} (${daysLeft < 0 ? `expired ${-daysLeft} days ago` : `${daysLeft} days left`}).`,
  );
  if (!served.hostnameMatches)
    findings.push(
      `The certificate is not valid for ${request.hostname}: ${served.hostnameError ?? 'name mismatch'}.`,
    );
  if (!served.trusted && served.authorizationError)
    findings.push(
      `The chain does not verify against the public trust store here: ${served.authorizationError}.`,
    );
  if (acme.acmeEnabled === undefined)
    findings.push(`The ACME state could not be read (\`ghe-ssl-acme -s\` exited ${acme.exitCode}).`);
  else
    findings.push(
      `ACME (Let's Encrypt) is ${acme.acmeEnabled ? 'enabled' : 'not enabled'} on ${request.target}.`,
    );

  let decision: TlsDecision;
  let verdict: Verdict = { ok: true };
  const due = tlsStatus === 'renew-due' || tlsStatus === 'critical' || tlsStatus === 'expired';
  if (tlsStatus === 'hostname-mismatch') {
    decision = 'report';
    verdict = {
      ok: false,
      error: 'CertificateHostnameMismatch',
      cause: `${request.hostname} serves a certificate for ${leaf.dnsNames.join(', ') || leaf.subject}; nothing was renewed. Check the hostname setting of GHES and of this workflow.`,
    };
  } else if (due && acme.acmeEnabled && request.renew) {
    if (inWindow(request.window, now)) decision = 'renew';
    else {
      decision = 'outside-window';
      findings.push(
        `Renewal is due but the maintenance window (${String(request.window!.startHour).padStart(2, '0')}:00-${String(request.window!.endHour).padStart(2, '0')}:00 UTC) is closed; the next run inside it renews.`,
      );
      if (tlsStatus !== 'renew-due')
        verdict = {
          ok: false,
          error: tlsStatus === 'expired' ? 'CertificateExpired' : 'CertificateExpiresSoon',
          cause: findings[0]!,
        };
    }
  } else if (due) {
    decision = 'report';
    if (tlsStatus !== 'renew-due')
      verdict = {
        ok: false,
        error: tlsStatus === 'expired' ? 'CertificateExpired' : 'CertificateExpiresSoon',
        cause: `${findings[0]} It is not renewed automatically (${acme.acmeEnabled ? 'renew is off' : 'ACME is not enabled'}): replace it by hand (see the mail).`,
      };
  } else {
    decision = tlsStatus === 'warn' ? 'report' : 'ok';
  }
  deps.log.info('tls certificate inspected', {
    hostname: request.hostname,
    daysLeft,
    status: tlsStatus,
    decision,
  });
  return {
    served,
    acme,
    daysLeft,
    status: tlsStatus,
    decision,
    findings,
    verdict,
    checkedAt: new Date(now).toISOString(),
  };
}
