import { causeMessage, type ErrorInfo } from '../errors.js';
import { sendNotification, type Notification, type NotifyResult } from '../mail/notify.js';
import type { Deps } from '../runtime/deps.js';
import type { ApprovalDecision } from '../approval/gate.js';
import type { ServedCertificate } from '../tls/tls-probe.js';
import type { TlsInspection } from './inspect.js';
import type { RenewalCheck, RenewalProgress } from './renew.js';
import type { TlsCertificateRequest } from './request.js';

export interface TlsCertificateState {
  request: TlsCertificateRequest;
  inspect?: TlsInspection;
  renewal?: RenewalProgress;
  check?: RenewalCheck;
  error?: ErrorInfo;
  /** The failed `ghe-ssl-acme -e` that led to the recovery approval (Catch output). */
  renewError?: ErrorInfo;
  /** The operator approved the recovery (the operator wait's decision). */
  recoveryApproval?: ApprovalDecision;
  /** What the failed first attempt ran and said, kept when the recovery was approved. */
  firstAttempt?: { commands: string[]; error: ErrorInfo };
}

export type TlsOutcome = 'ok' | 'warning' | 'renewed' | 'action-needed' | 'failed';

export interface TlsCertificateResult extends NotifyResult {
  outcome: TlsOutcome;
  daysLeft?: number;
}

/** The served chain in the terms of `openssl s_client -showcerts | openssl x509 -text`, with the PEMs. */
export function certificateText(served: ServedCertificate): string[] {
  const lines = [
    `Certificate chain served by ${served.address}:${served.port} (SNI ${served.hostname}, ${served.protocol}):`,
  ];
  served.chain.forEach((c, i) => {
    lines.push(
      ` ${i} s:${c.subject}`,
      `   i:${c.issuer}`,
      `   Serial Number: ${c.serialNumber}`,
      `   Not Before: ${c.validFrom}`,
      `   Not After : ${c.validTo}`,
      `   X509v3 Subject Alternative Name: ${c.dnsNames.map((d) => `DNS:${d}`).join(', ') || '(none)'}`,
      `   SHA256 Fingerprint: ${c.fingerprint256}`,
    );
  });
  lines.push(
    `Verification: ${served.trusted ? 'OK' : `failed (${served.authorizationError ?? 'unknown'})`}; name ${served.hostnameMatches ? 'matches' : `does NOT match (${served.hostnameError ?? ''})`}`,
    '',
    ...served.chain.map((c) => c.pem.trim()),
  );
  return lines;
}

const manualSteps = (r: TlsCertificateRequest): string[] => [
  'To replace the certificate by hand:',
  '  1. Management Console > Settings > Privacy > TLS: upload the new certificate and key, Save settings;',
  `     or enable Let's Encrypt on the appliance: \`ghe-ssl-acme -e\` (needs ${r.hostname} reachable on port 80`,
  '     from the internet, and outbound HTTPS to .letsencrypt.org through any proxy).',
  '  2. If the console\'s "Request TLS certificate" fails, GitHub Support\'s fix is `ghe-ssl-acme -x` then `ghe-ssl-acme -e -v`.',
  `  3. Check the result: openssl s_client -connect ${r.hostname}:${r.port} -servername ${r.hostname} | openssl x509 -text -noout`,
];

/** The mail: what was found (certificate, ACME), what was done, and what to do. */
export function composeTlsOutcome(state: TlsCertificateState): { note: Notification; outcome: TlsOutcome } {
  const { request: r, inspect, renewal, check, error, renewError, recoveryApproval, firstAttempt } = state;
  const lines: string[] = [];
  let outcome: TlsOutcome;
  let summary: string;
  const recoveryNotApproved =
    error &&
    renewError &&
    !recoveryApproval &&
    (error.Error === 'RecoveryRejected' || error.Error === 'States.Timeout');
  if (recoveryNotApproved) {
    outcome = 'failed';
    const rejected = error.Error === 'RecoveryRejected';
    summary = rejected
      ? 'renewal FAILED, recovery rejected, nothing changed'
      : 'renewal FAILED, recovery not approved in time, nothing changed';
    lines.push(
      `The renewal of the TLS certificate of ${r.hostname} FAILED (${renewal?.commands.join(', then ') ?? 'ghe-ssl-acme -e'}), and the recovery`,
      `(\`ghe-ssl-acme -x\` then \`ghe-ssl-acme -e -v\`) was ${rejected ? `REJECTED: ${causeMessage(error.Cause)}` : 'not approved before the wait timed out'}.`,
      `NOTHING WAS CHANGED by the recovery: it did not run; the ACME settings are as they were and ${r.hostname} still serves the certificate valid until ${inspect?.served.chain[0]?.validTo ?? '(unknown)'}.`,
      '',
      'The failed attempt said:',
      causeMessage(renewError.Cause),
      '',
      'Fix the cause (port 80 from the internet, HTTPS to .letsencrypt.org through the proxy) and run the workflow again; it asks again for the recovery if -e still fails.',
      '',
    );
  } else if (error) {
    outcome = 'failed';
    summary = `FAILED (${error.Error})`;
    lines.push(
      `The TLS certificate check of ${r.hostname} FAILED.`,
      '',
      `Error: ${error.Error}`,
      causeMessage(error.Cause),
      '',
    );
    if (renewal) {
      lines.push(
        `What ran on ${r.target}: ${renewal.commands.join(', then ')} (started ${renewal.startedAt}).`,
      );
      if (renewal.clearOutput)
        lines.push('Output of ghe-ssl-acme -x:', ...renewal.clearOutput.split('\n').map((l) => `  ${l}`));
      lines.push('');
      if (firstAttempt)
        lines.push(
          `The first attempt (${firstAttempt.commands.join(', then ')}) had failed: ${causeMessage(firstAttempt.error.Cause).split('\n')[0]}`,
          `The recovery was approved by ${recoveryApproval?.by ?? '(unknown)'} (${recoveryApproval?.via ?? ''}).`,
          '',
        );
      if (error.Error === 'AcmeRenewalFailed' && (firstAttempt || r.recovery))
        lines.push(
          'The recovery attempt failed too. Open a GitHub Support ticket with this mail: it carries the appliance output',
          `and the certificate GHES serves (what \`openssl s_client -connect ${r.hostname}:${r.port} -servername ${r.hostname} | openssl x509 -text -noout\` shows).`,
          '',
        );
    }
  } else if (!inspect) {
    outcome = 'failed';
    summary = 'not inspected';
  } else if (check?.state === 'confirmed' && check.served) {
    outcome = 'renewed';
    const leaf = check.served.chain[0]!;
    summary = `renewed, valid until ${leaf.validTo.slice(0, 10)}`;
    lines.push(
      `The TLS certificate of ${r.hostname} was renewed with ${renewal?.commands.join(', then ') ?? 'ghe-ssl-acme'} and the new one is served:`,
      `valid until ${leaf.validTo}, issued by ${leaf.issuer} (before: until ${inspect.served.chain[0]!.validTo}).`,
      '',
    );
    if (firstAttempt)
      lines.push(
        `The first attempt (${firstAttempt.commands.join(', then ')}) had failed; the recovery was approved by ${recoveryApproval?.by ?? '(unknown)'} (${recoveryApproval?.via ?? ''}).`,
        '',
      );
  } else if (!inspect.verdict.ok) {
    outcome = 'action-needed';
    summary = `ACTION NEEDED (${inspect.verdict.error})`;
    lines.push(
      `The TLS certificate of ${r.hostname} needs attention: ${inspect.verdict.cause}`,
      '',
      ...manualSteps(r),
      '',
    );
  } else if (inspect.decision === 'report' || inspect.decision === 'outside-window') {
    outcome = 'warning';
    summary = `expires in ${inspect.daysLeft} days`;
    lines.push(
      `The TLS certificate of ${r.hostname} expires in ${inspect.daysLeft} days (${inspect.served.chain[0]!.validTo}).`,
      inspect.acme.acmeEnabled
        ? inspect.decision === 'outside-window'
          ? 'Renewal is due and waits for the maintenance window.'
          : `ACME renews it automatically from ${r.renewDays} days before expiry.`
        : 'ACME is not enabled: replace it by hand before it expires.',
      '',
      ...(inspect.acme.acmeEnabled ? [] : [...manualSteps(r), '']),
    );
  } else {
    outcome = 'ok';
    summary = `ok, ${inspect.daysLeft} days left`;
    lines.push(`The TLS certificate of ${r.hostname} is fine: ${inspect.daysLeft} days left.`, '');
  }
  if (inspect) {
    lines.push('What was found:', ...inspect.findings.map((f) => `  ${f}`), '');
    lines.push(
      `ghe-ssl-acme -s on ${r.target} (exit ${inspect.acme.exitCode}):`,
      ...inspect.acme.output.split('\n').map((l) => `  ${l}`),
      '',
    );
    if (outcome !== 'ok' && outcome !== 'renewed') lines.push(...certificateText(inspect.served), '');
  }
  lines.push(
    `Thresholds: warn ${r.warnDays} days, renew ${r.renewDays}, critical ${r.criticalDays}.`,
    '',
    '-- ghes-ops tls-certificate workflow',
  );
  return {
    note: { subject: `[ghes-ops] TLS certificate of ${r.hostname}: ${summary}`, text: lines.join('\n') },
    outcome,
  };
}

export async function notifyTlsOutcome(
  state: TlsCertificateState,
  deps: Deps,
): Promise<TlsCertificateResult> {
  const { note, outcome } = composeTlsOutcome(state);
  const sent = await sendNotification(state.request.notify, note, deps);
  return { outcome, ...(state.inspect ? { daysLeft: state.inspect.daysLeft } : {}), ...sent };
}
