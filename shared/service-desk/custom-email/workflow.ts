import { nodeCrypto } from '../../runtime/builtins.js';
import { causeMessage, InputValidationError, type ErrorInfo } from '../../errors.js';
import type { OutgoingMail } from '../../mail/mailer.js';
import { sendNotification } from '../../mail/notify.js';
import type { Deps } from '../../runtime/deps.js';
import { Fields, PATTERNS } from '../../validate.js';
import {
  CustomEmailNotConfigured,
  IncorrectForwardingTarget,
  IncorrectFrom,
  IncorrectToken,
  InvalidCredentials,
  ReadTimeout,
  SmtpHostIssue,
  TIMEOUT_CODE,
  UnauthenticatedFrom,
  VerificationAlreadyRunning,
  type VerificationErrorCode,
} from './errors.js';
import {
  authentication,
  explain,
  READ_TIMEOUT_SECONDS,
  resultMail,
  startedMail,
  WAIT_MINUTES,
} from './messages.js';
import { deskConfigFor, projectDeskAddresses, verificationRecipients } from './project.js';
import { PROJECT_SLUG } from '../config.js';
import {
  customEmailStore,
  newVerificationToken,
  requireDeskProject,
  verifyAddress,
  type VerificationState,
} from './settings.js';
import type { CheckResult, FinishResult, ForwardedMailEvidence, Verification } from './types.js';

/**
 * The four steps of statemachines/custom-email-verification.asl.json (thin handlers in
 * functions/service-desk/verification/). Secrets (the SMTP password, the token, the token found in
 * the forwarded mail, the task token) are read from and written to the parameter store only; what
 * the steps return is the execution state, and holds none of them.
 */

export const STATE_MACHINE = 'custom-email-verification';
/** The error the execution fails with when nothing was forwarded in time (States.Timeout of the wait). */
export const TIMEOUT_ERROR = 'MailNotReceivedWithinTimeframe';
/** After marking started, re-read the state this long later: of two concurrent starts, one goes on. */
export const START_SETTLE_MS = 2000;
/** A `started` record without an execution ARN counts as running for this long. */
const STALE_WITHOUT_EXECUTION_MS = 2 * 60 * 60_000;

export interface VerificationRequest {
  project: string;
  triggeredBy: string;
  strict?: boolean;
}

/** The execution input: `{project, triggeredBy, strict?}`. Every problem listed at once. */
export function parseVerificationRequest(input: unknown): VerificationRequest {
  const f = new Fields(input, 'verification input');
  f.only(['project', 'triggeredBy', 'strict']);
  const project = f.requiredString('project', {
    pattern: PROJECT_SLUG,
    hint: 'a service desk project slug such as "acme-support"',
    maxLength: 100,
  });
  const triggeredBy = f.requiredString('triggeredBy', {
    pattern: PATTERNS.email,
    hint: 'the email address of whoever starts the verification',
  });
  const strict = f.has('strict') ? f.boolean('strict', false) : undefined;
  f.done();
  return { project, triggeredBy: triggeredBy.toLowerCase(), ...(strict !== undefined ? { strict } : {}) };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Refuses while another execution verifies the project; a record whose execution ended is taken over. */
async function refuseRunning(
  current: VerificationState | undefined,
  project: string,
  executionArn: string,
  deps: Deps,
): Promise<void> {
  if (current?.state !== 'started' || current.executionArn === executionArn) return;
  const status = current.executionArn
    ? await deps.executions.status(current.executionArn)
    : deps.clock.now() - Date.parse(current.triggeredAt) < STALE_WITHOUT_EXECUTION_MS
      ? 'RUNNING'
      : 'NOT_FOUND';
  if (status === 'RUNNING') {
    throw new VerificationAlreadyRunning(
      `A verification of the custom email address of ${project} is already running (execution ${current.executionArn ?? 'unknown'}, started by ${current.triggeredBy} at ${current.triggeredAt}). ` +
        `Wait for its result email (at most ${WAIT_MINUTES} minutes), or stop that execution, then start again. Nothing was changed.`,
      { project, runningExecution: current.executionArn },
    );
  }
  deps.log.warn('custom email: taking over a verification whose execution is not running', {
    project,
    previousExecution: current.executionArn,
    previousStatus: status,
  });
}

export interface StartOutput {
  verification: Verification;
  started: { notified: boolean; recipients: string[] };
}

/**
 * StartVerification: validate, refuse a running verification, then mark started (new token, the
 * custom address disabled, who and when recorded) and email the owners and the triggerer.
 */
export async function startVerification(
  input: unknown,
  executionArn: string,
  deps: Deps,
): Promise<StartOutput> {
  const req = parseVerificationRequest(input);
  const desk = deskConfigFor(deps.config);
  const project = requireDeskProject(desk, req.project);
  const store = customEmailStore(deps);
  const [settings, password, current] = await Promise.all([
    store.settings(project.slug),
    store.password(project.slug),
    store.state(project.slug),
  ]);
  if (!settings || !password) {
    throw new CustomEmailNotConfigured(
      `Project ${project.slug} has no custom email ${settings ? 'SMTP password' : 'settings'}: set them with ghes-ops desk email set ${project.slug} --address ... --smtp-host ... --smtp-port ... --username ... --password-stdin, then verify again. Nothing was sent.`,
      { project: project.slug },
    );
  }
  await refuseRunning(current, project.slug, executionArn, deps);

  const triggeredAt = iso(deps.clock.now());
  await store.discardSecrets(project.slug);
  await store.saveToken(project.slug, newVerificationToken());
  await store.disable(project.slug);
  await store.saveState(project.slug, {
    state: 'started',
    triggeredBy: req.triggeredBy,
    triggeredAt,
    executionArn,
  });
  // Two starts at the same moment both saw no running verification: the last record wins.
  await deps.clock.sleep(START_SETTLE_MS);
  const after = await store.state(project.slug);
  if (after?.executionArn !== executionArn) {
    throw new VerificationAlreadyRunning(
      `Another verification of ${project.slug} started at the same moment (execution ${after?.executionArn ?? 'unknown'}); this one stops. Wait for that one's result email.`,
      { project: project.slug, runningExecution: after?.executionArn },
    );
  }

  const deskAddress = projectDeskAddresses(desk, project)[0]!;
  const verification: Verification = {
    project: project.slug,
    address: settings.address,
    verifyAddress: verifyAddress(settings.address),
    deskAddress,
    smtp: {
      host: settings.smtpHost,
      port: settings.smtpPort,
      username: settings.username,
      authMethod: settings.authMethod,
    },
    strict: req.strict ?? settings.strict,
    triggeredBy: req.triggeredBy,
    triggeredAt,
    executionArn,
    recipients: verificationRecipients(project, req.triggeredBy),
  };
  deps.log.info('custom email: verification started', {
    project: project.slug,
    address: settings.address,
    triggeredBy: req.triggeredBy,
    strict: verification.strict,
  });
  const notified = await notify(verification, startedMail(verification), deps);
  return { verification, started: { notified, recipients: verification.recipients } };
}

/** Mail to the recipients; a failure is logged, never fatal (the state record tells the truth). */
async function notify(
  v: Verification,
  note: { subject: string; text: string },
  deps: Deps,
): Promise<boolean> {
  try {
    return (await sendNotification(v.recipients, note, deps)).sent;
  } catch (e) {
    deps.log.error('custom email: notification not sent', {
      project: v.project,
      subject: note.subject,
      error: (e as Error).name,
      message: (e as Error).message,
    });
    return false;
  }
}

/** The verification email, as GitLab sends it: subject, `Auto-Submitted: no`, the token line. */
export function verificationMail(v: Verification, token: string): OutgoingMail {
  return {
    from: v.address,
    to: [v.verifyAddress],
    subject: `Verify custom email address ${v.address} for ${v.project}`,
    text: [
      `This email verifies that ${v.address} can be the address of the service desk project ${v.project}.`,
      `It was sent through ${v.smtp.host}:${v.smtp.port}; your mail provider should forward it to ${v.deskAddress}.`,
      '',
      `Verification token: ${token}`,
      '',
      'If you did not expect this email, you can ignore it.',
      '',
    ].join('\n'),
    headers: { 'Auto-Submitted': 'no' },
  };
}

/**
 * SendAndWaitForForwardedMail (callback task): registers the task token FIRST (a fast forward must
 * find it), then sends the verification email through the customer's SMTP server. SMTP failures
 * throw SmtpHostIssue / InvalidCredentials / ReadTimeout, which fail the task.
 */
export async function sendVerificationMail(
  taskToken: string,
  v: Verification,
  deps: Deps,
): Promise<{ sent: true; messageId: string; sentAt: string }> {
  const store = customEmailStore(deps);
  const [{ settings, server }, token] = await Promise.all([store.server(v.project), store.token(v.project)]);
  if (!token || settings.address !== v.address) {
    throw new CustomEmailNotConfigured(
      `The custom email settings of ${v.project} were reset or changed while the verification started; nothing was sent. Check them with ghes-ops desk email show ${v.project} and verify again.`,
      { project: v.project },
    );
  }
  await store.saveWaiting(v.project, {
    taskToken,
    executionArn: v.executionArn,
    since: iso(deps.clock.now()),
  });
  // The 7 s read timeout is real time in AWS; on a scaled local clock it shrinks, never below 1 s.
  const readTimeoutSeconds = Math.max(1, READ_TIMEOUT_SECONDS * Math.min(1, deps.clock.scale));
  const sent = await deps.smtpSubmission.send(server, verificationMail(v, token), { readTimeoutSeconds });
  const sentAt = iso(deps.clock.now());
  deps.log.info('custom email: verification email sent', {
    project: v.project,
    to: v.verifyAddress,
    smtp: `${settings.smtpHost}:${settings.smtpPort}`,
    messageId: sent.messageId,
  });
  return { sent: true, messageId: sent.messageId, sentAt };
}

/** The evidence the inbound pipeline sent, checked (anyone holding the task token could send it). */
export function parseEvidence(value: unknown): ForwardedMailEvidence {
  const f = new Fields(value, 'forwarded mail evidence');
  const strings = (field: string): string[] => {
    const v = f.raw(field);
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
      f.fail(field, 'must be a list of addresses');
      return [];
    }
    return (v as string[]).map((s) => s.toLowerCase());
  };
  const to = strings('to');
  const deliveredTo = strings('deliveredTo');
  const from = f.string('from', { maxLength: 254 });
  const messageId = f.string('messageId', { maxLength: 1000 });
  const receivedAt = f.requiredString('receivedAt', { maxLength: 40 });
  const tokenFound = f.boolean('tokenFound', false);
  const rawVerdicts = f.raw('verdicts');
  const verdicts: ForwardedMailEvidence['verdicts'] = {};
  if (rawVerdicts !== undefined) {
    const vf = new Fields(rawVerdicts, 'forwarded mail evidence', 'verdicts');
    for (const k of ['spf', 'dkim', 'dmarc', 'spam', 'virus'] as const) {
      const s = vf.string(k, { pattern: /^[A-Z_]{1,40}$/, hint: 'an SES verdict such as PASS or FAIL' });
      if (s) verdicts[k] = s;
    }
    f.problems.push(...vf.problems);
  }
  f.done();
  return {
    ...(messageId ? { messageId } : {}),
    ...(from ? { from: from.toLowerCase() } : {}),
    to,
    deliveredTo,
    verdicts,
    tokenFound,
    receivedAt,
  };
}

const digest = (s: string): Buffer => nodeCrypto().createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of two secrets of any length. */
export function sameSecret(a: string, b: string): boolean {
  return nodeCrypto().timingSafeEqual(digest(a), digest(b)) && a.length === b.length;
}

/**
 * CheckForwardedMail, in GitLab's order: forwarding target, From preserved, token; then, beyond
 * GitLab, the sender's authentication (failing only with strict). Throws the first failure.
 */
export async function checkForwardedMail(
  v: Verification,
  evidenceInput: unknown,
  deps: Deps,
): Promise<CheckResult> {
  const evidence = parseEvidence(evidenceInput);
  const desk = deskConfigFor(deps.config);
  const wanted = projectDeskAddresses(desk, requireDeskProject(desk, v.project));
  const target = evidence.deliveredTo.find((a) => wanted.includes(a));
  if (!target) {
    throw new IncorrectForwardingTarget(
      `The forwarded verification email reached ${evidence.deliveredTo.join(', ') || 'no service desk address'}, not ${wanted.join(' or ')}. Forward mail for ${v.verifyAddress} to ${v.deskAddress}.`,
      { deliveredTo: evidence.deliveredTo },
    );
  }
  if ((evidence.from ?? '') !== v.address.toLowerCase()) {
    throw new IncorrectFrom(
      `The forwarded verification email came From ${evidence.from ?? '(none)'} instead of ${v.address}: the forwarder rewrote the From header. Forward keeping the original sender.`,
      { from: evidence.from },
    );
  }
  const store = customEmailStore(deps);
  const [expected, received] = await Promise.all([store.token(v.project), store.receivedToken(v.project)]);
  if (!expected || !received || !sameSecret(expected, received)) {
    throw new IncorrectToken(
      received
        ? 'The forwarded verification email carried a different verification token (an older email, or the text was changed on the way). Forward the newest email unchanged.'
        : 'The forwarded verification email carried no "Verification token:" line: the forwarder changed or dropped the text. Forward the email unchanged.',
      { tokenFound: evidence.tokenFound },
    );
  }
  const auth = authentication(evidence.verdicts);
  if (v.strict && !auth.authenticated) {
    throw new UnauthenticatedFrom(
      `Strict mode: the From address ${v.address} of the forwarded email is not authenticated (SPF ${auth.spf}, DKIM ${auth.dkim}, DMARC ${auth.dmarc}). Publish SPF, sign with DKIM and publish DMARC for the domain, or verify without strict.`,
      { verdicts: evidence.verdicts },
    );
  }
  deps.log.info('custom email: forwarded mail checked', {
    project: v.project,
    spf: auth.spf,
    dkim: auth.dkim,
    dmarc: auth.dmarc,
    strict: v.strict,
  });
  return {
    deliveredTo: target,
    from: evidence.from!,
    tokenMatches: true,
    strict: v.strict,
    authentication: auth,
  };
}

/** Error name -> code, from the classes (the names are the ASL contract). */
const CODES: ReadonlyMap<string, VerificationErrorCode> = new Map(
  [
    SmtpHostIssue,
    InvalidCredentials,
    ReadTimeout,
    IncorrectForwardingTarget,
    IncorrectFrom,
    IncorrectToken,
    UnauthenticatedFrom,
  ].map((C) => {
    const e = new C('');
    return [e.name, e.code] as const;
  }),
);

export interface FinishInput {
  verification: Verification;
  evidence?: unknown;
  check?: CheckResult;
  failure?: ErrorInfo;
}

/**
 * FinishVerification, on every path after the start: discard the secrets, record finished or
 * failed (with the code), and email the result with what happened and what to do.
 */
export async function finishVerification(state: FinishInput, deps: Deps): Promise<FinishResult> {
  const v = state.verification;
  const store = customEmailStore(deps);
  const current = await store.state(v.project);
  // Another execution took the project over (this one was considered ended): leave its secrets and record.
  const ours = !current?.executionArn || current.executionArn === v.executionArn;
  if (ours) await store.discardSecrets(v.project);
  let evidence: ForwardedMailEvidence | undefined;
  try {
    evidence = state.evidence === undefined ? undefined : parseEvidence(state.evidence);
  } catch (e) {
    if (!(e instanceof InputValidationError)) throw e;
  }
  const failure = state.failure;
  let code: VerificationErrorCode | undefined;
  let error: string | undefined;
  let cause: string | undefined;
  if (failure) {
    // A timeout with no evidence is the wait's (a step's own timeout is an internal error).
    const timedOut = failure.Error === 'States.Timeout' && state.evidence === undefined;
    code = timedOut ? TIMEOUT_CODE : CODES.get(failure.Error);
    error = timedOut ? TIMEOUT_ERROR : failure.Error;
    if (timedOut) {
      const e = explain(TIMEOUT_CODE, v, evidence);
      cause = `${e.what} ${e.fix}`;
    } else {
      cause = causeMessage(failure.Cause);
    }
  }
  const finishedAt = iso(deps.clock.now());
  const outcome = failure ? 'failed' : 'finished';
  const result: VerificationState = {
    state: outcome,
    ...(code ? { error: code } : {}),
    triggeredBy: v.triggeredBy,
    triggeredAt: v.triggeredAt,
    finishedAt,
    executionArn: v.executionArn,
    ...(evidence
      ? {
          verdicts: {
            ...(evidence.verdicts.spf ? { spf: evidence.verdicts.spf } : {}),
            ...(evidence.verdicts.dkim ? { dkim: evidence.verdicts.dkim } : {}),
            ...(evidence.verdicts.dmarc ? { dmarc: evidence.verdicts.dmarc } : {}),
          },
        }
      : {}),
  };
  if (ours) await store.saveState(v.project, result);
  else
    deps.log.warn('custom email: the state record belongs to another execution; left as it is', {
      project: v.project,
      owner: current?.executionArn,
    });
  deps.log[failure ? 'warn' : 'info']('custom email: verification finished', {
    project: v.project,
    state: result.state,
    ...(code ? { code } : {}),
    ...(error ? { error } : {}),
  });
  const mail = resultMail(v, {
    state: outcome,
    ...(code ? { code } : {}),
    ...(error ? { error } : {}),
    ...(cause && code !== TIMEOUT_CODE ? { cause } : {}),
    ...(evidence ? { evidence } : {}),
  });
  const notified = await notify(v, mail, deps);
  return {
    state: outcome,
    ...(code ? { code } : {}),
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
    finishedAt,
    notified,
    recipients: v.recipients,
  };
}
