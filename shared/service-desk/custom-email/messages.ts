import type { Notification } from '../../mail/notify.js';
import type { VerificationErrorCode } from './errors.js';
import type { AuthenticationReport, EvidenceVerdicts, ForwardedMailEvidence, Verification } from './types.js';

/**
 * The emails of the verification workflow, to the project's owners and the triggerer: "started",
 * and the result with a plain explanation of what happened and what to fix. Built from the
 * execution state only, so they can hold no secret (no password, no token).
 */

/** The read timeout of the SMTP conversation (GitLab's value). */
export const READ_TIMEOUT_SECONDS = 7;
/** How long the forwarded copy is waited for (the ASL's TimeoutSeconds of the wait). */
export const WAIT_MINUTES = 30;

const verifyAgain = (v: Verification): string =>
  `Then run the verification again: ghes-ops desk verify ${v.project} (or POST /service-desk/custom-email/${v.project}/verify).`;

const server = (v: Verification): string => `${v.smtp.host}:${v.smtp.port}`;

/** DMARC PASS, which needs an SPF or DKIM PASS aligned with the From domain. */
export function authentication(verdicts: EvidenceVerdicts): AuthenticationReport {
  const spf = verdicts.spf ?? 'unknown';
  const dkim = verdicts.dkim ?? 'unknown';
  const dmarc = verdicts.dmarc ?? 'unknown';
  return { spf, dkim, dmarc, authenticated: dmarc === 'PASS' && (spf === 'PASS' || dkim === 'PASS') };
}

export function authenticationLines(v: Verification, a: AuthenticationReport): string[] {
  return [
    'Sender authentication of the forwarded email, as the service desk received it:',
    `  SPF:   ${a.spf}`,
    `  DKIM:  ${a.dkim}`,
    `  DMARC: ${a.dmarc}`,
    a.authenticated
      ? `  The From address ${v.address} is authenticated.`
      : `  The From address ${v.address} is NOT authenticated: anyone could send mail that looks like it comes from it.`,
  ];
}

interface Explanation {
  /** What happened, in one or two sentences. */
  what: string;
  /** What to do about it. */
  fix: string;
}

/** The plain explanation and the fix of each error code. */
export function explain(
  code: VerificationErrorCode,
  v: Verification,
  evidence?: ForwardedMailEvidence,
): Explanation {
  const auth = evidence ? authentication(evidence.verdicts) : undefined;
  switch (code) {
    case 'smtp_host_issue':
      return {
        what: `ghes-ops could not send the verification email through your SMTP server ${server(v)}: the connection, TLS or the server itself failed.`,
        fix: `Check the SMTP host name and port in the settings (usually 587 with STARTTLS or 465 with TLS), that the server accepts connections from ghes-ops, and that its TLS certificate is valid. Correct them with: ghes-ops desk email set ${v.project} ...`,
      };
    case 'invalid_credentials':
      return {
        what: `Your SMTP server ${server(v)} refused the username ${v.smtp.username} and the password (authentication method ${v.smtp.authMethod}).`,
        fix: `Check the username and the password (many providers require an app password when two-factor authentication is on) and the authentication method, and store them again with: ghes-ops desk email set ${v.project} ... --password-stdin`,
      };
    case 'read_timeout':
      return {
        what: `Your SMTP server ${server(v)} accepted the connection but did not answer within ${READ_TIMEOUT_SECONDS} seconds.`,
        fix: `Check the port (a TLS port such as 465 used without TLS, or the other way round, looks like this), a firewall or proxy holding the connection, and the server's health.`,
      };
    case 'mail_not_received_within_timeframe':
      return {
        what: `The verification email was sent through ${server(v)} to ${v.verifyAddress}, but no forwarded copy reached the service desk within ${WAIT_MINUTES} minutes.`,
        fix: `Set up forwarding at your mail provider: mail to ${v.verifyAddress} (or all mail to ${v.address}) must be forwarded to ${v.deskAddress}. Check the provider's forwarding rules and whether the email landed in the spam folder of ${v.address}.`,
      };
    case 'incorrect_forwarding_target':
      return {
        what: `The forwarded email reached ${evidence?.deliveredTo.length ? evidence.deliveredTo.join(', ') : 'the service desk without a recognisable address'}, not the service desk address of ${v.project}.`,
        fix: `Change the forwarding target at your mail provider to ${v.deskAddress}.`,
      };
    case 'incorrect_from':
      return {
        what: `The forwarded email arrived From ${evidence?.from ?? '(no From address)'}, but it must stay ${v.address}: the forwarder rewrote the From header.`,
        fix: `Forward in a way that keeps the original sender (a redirect, or forwarding "as is"); do not forward as an attachment or with a rewritten From. Rewriting only the envelope sender (SRS) is fine.`,
      };
    case 'incorrect_token':
      return {
        what: evidence?.tokenFound
          ? `The forwarded email carried a verification token that is not the one of this verification (an older verification email was forwarded, or the text was changed).`
          : `The forwarded email carried no verification token: the forwarder changed or dropped the text.`,
        fix: `Make sure the forwarder passes the message body unchanged, and that only the newest verification email is forwarded.`,
      };
    case 'unauthenticated_from':
      return {
        what: `Strict mode: the forwarded email's From ${v.address} is not authenticated (SPF ${auth?.spf ?? 'unknown'}, DKIM ${auth?.dkim ?? 'unknown'}, DMARC ${auth?.dmarc ?? 'unknown'}), so a forged From would pass just as well.`,
        fix: `Publish an SPF record for the SMTP server you send through, sign mail from ${v.address.split('@')[1] ?? 'your domain'} with DKIM and publish a DMARC policy; the forwarder must not change the message (or the DKIM signature breaks). Without strict mode the address would verify with these verdicts.`,
      };
  }
}

const SUBJECT_CODE: Record<VerificationErrorCode, string> = {
  smtp_host_issue: 'SMTP server problem',
  invalid_credentials: 'SMTP credentials refused',
  read_timeout: 'SMTP server did not answer',
  mail_not_received_within_timeframe: 'forwarded email not received',
  incorrect_forwarding_target: 'forwarded to the wrong address',
  incorrect_from: 'From rewritten by the forwarder',
  incorrect_token: 'wrong or missing token',
  unauthenticated_from: 'From not authenticated',
};

export function startedMail(v: Verification): Notification {
  return {
    subject: `[ghes-ops] Verifying custom email address ${v.address} for ${v.project}`,
    text: [
      `${v.triggeredBy} started the verification of the custom email address ${v.address} for the service desk project ${v.project} (${v.triggeredAt}).`,
      '',
      `The custom address is disabled until the verification finishes; the service desk answers from its own address meanwhile.`,
      '',
      `What happens now:`,
      `  1. ghes-ops sends a verification email through your SMTP server ${server(v)} (as ${v.smtp.username}) to ${v.verifyAddress}.`,
      `  2. Your mail provider must forward it to the service desk address ${v.deskAddress}, keeping the From header ${v.address}.`,
      `  3. The result follows by email within ${WAIT_MINUTES} minutes.`,
      '',
      `Execution: ${v.executionArn}`,
      '',
      '-- ghes-ops service desk',
    ].join('\n'),
  };
}

export interface ResultFacts {
  state: 'finished' | 'failed';
  code?: VerificationErrorCode;
  /** The error name when the failure is none of the eight codes (an internal error). */
  error?: string;
  cause?: string;
  evidence?: ForwardedMailEvidence;
}

export function resultMail(v: Verification, r: ResultFacts): Notification {
  const auth = r.evidence ? authentication(r.evidence.verdicts) : undefined;
  const lines: string[] = [];
  let subject: string;
  if (r.state === 'finished') {
    subject = `[ghes-ops] Custom email address ${v.address} for ${v.project} is verified`;
    lines.push(
      `The custom email address ${v.address} is verified for the service desk project ${v.project}: the verification email sent through ${server(v)} was forwarded to ${v.deskAddress} with its From and token intact.`,
      '',
      `What to do: enable the custom address with: ghes-ops desk email enable ${v.project}`,
      '(it was disabled when the verification started).',
    );
    if (auth && !auth.authenticated)
      lines.push(
        '',
        `Warning: the From address was not authenticated (SPF ${auth.spf}, DKIM ${auth.dkim}, DMARC ${auth.dmarc}). The verification passes without strict mode, but a forged From would too: publish SPF, DKIM and DMARC for ${v.address.split('@')[1] ?? 'your domain'} and verify again with "strict": true.`,
      );
  } else if (r.code) {
    const e = explain(r.code, v, r.evidence);
    subject = `[ghes-ops] Custom email address ${v.address} for ${v.project}: verification FAILED (${r.code}: ${SUBJECT_CODE[r.code]})`;
    lines.push(
      `The verification of the custom email address ${v.address} for the service desk project ${v.project} FAILED: ${r.code}.`,
      '',
      `What happened: ${e.what}`,
      '',
      `What to do: ${e.fix}`,
      verifyAgain(v),
    );
    if (r.cause) lines.push('', `Details: ${r.cause}`);
    lines.push('', `The custom address stays disabled; the service desk answers from its own address.`);
  } else {
    subject = `[ghes-ops] Custom email address ${v.address} for ${v.project}: verification FAILED (${r.error ?? 'internal error'})`;
    lines.push(
      `The verification of the custom email address ${v.address} for the service desk project ${v.project} FAILED on an internal error: ${r.error ?? 'unknown'}.`,
      '',
      `What happened: ${r.cause ?? 'see the execution and the logs'}`,
      '',
      `What to do: look at the execution ${v.executionArn} and the logs of the custom email functions, fix the cause, and verify again.`,
      verifyAgain(v),
    );
  }
  if (auth) lines.push('', ...authenticationLines(v, auth));
  lines.push(
    '',
    `Started by ${v.triggeredBy} at ${v.triggeredAt}; execution ${v.executionArn}.`,
    '',
    '-- ghes-ops service desk',
  );
  return { subject, text: lines.join('\n') };
}
