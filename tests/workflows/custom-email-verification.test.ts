import { afterEach, describe, expect, it } from '@jest/globals';
import nodemailer from 'nodemailer';
import { startCustomEmailSandbox, type CustomEmailSandbox } from '../../local/custom-email-world.js';
import { DEFAULT_CUSTOM_EMAIL } from '../../local/sandbox/mail-provider/index.js';
import type { LocalWorld } from '../../local/world.js';
import { causeMessage } from '../../shared/errors.js';
import type { SmtpSubmission } from '../../shared/mail/smtp-submission.js';
import { CustomEmailStore } from '../../shared/service-desk/custom-email/settings.js';
import { until } from '../helpers/failover.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';

/**
 * The custom-email-verification workflow through the local engine and the real local SMTP path:
 * the send step submits to the sandbox mail provider over SMTP (AUTH), the provider forwards to
 * the local service desk's SMTP server, the desk's inbound pipeline resumes the waiting execution.
 */
const PROJECT = 'acme-support';
const INPUT = { project: PROJECT, triggeredBy: 'ops@acme.localhost' };
const OWNER = 'owner@acme.localhost';
const DESK_ADDRESS = 'support+acme-support-1-issue-@desk.localhost';
const PASSWORD = DEFAULT_CUSTOM_EMAIL.password;

let world: LocalWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Setup {
  world: LocalWorld;
  cs: CustomEmailSandbox;
  store: CustomEmailStore;
  /** Every verification token the send step put in a verification email. */
  tokens: string[];
}

/** A world on the sandbox with the desk and the mail provider of `scenario`; 100x faster by default. */
async function setup(scenario = 'mail-forwards', timeScale = 0.01): Promise<Setup> {
  const w = testWorld({ scenario, timeScale });
  world = w;
  const tokens: string[] = [];
  const real = w.deps.smtpSubmission;
  const spy: SmtpSubmission = {
    send: (server, mail, opts) => {
      const token = /Verification token: (\S+)/.exec(mail.text)?.[1];
      if (token) tokens.push(token);
      return real.send(server, mail, opts);
    },
  };
  w.deps.smtpSubmission = spy;
  const cs = (await startCustomEmailSandbox(w))!;
  return { world: w, cs, store: new CustomEmailStore(w.deps.params, w.config.parameterPrefix), tokens };
}

async function verify(s: Setup, input: Record<string, unknown> = INPUT) {
  const run = await runWorkflow(s.world, 'custom-email-verification', input);
  await s.cs.settled();
  return run;
}

/** Neither secret in any history event, the execution's input/output, any log line or any outbox mail. */
function expectNoSecrets(s: Setup, executionArn: string): void {
  const w = s.world;
  const everything = [
    JSON.stringify(w.engine.getExecutionHistory(executionArn)),
    JSON.stringify(w.engine.describeExecution(executionArn)),
    ...w.logLines,
    JSON.stringify(w.outbox!.sent),
  ].join('\n');
  expect(everything).not.toContain(PASSWORD);
  for (const token of s.tokens) expect(everything).not.toContain(token);
}

/** The short-lived secrets were discarded and the address is left disabled. */
async function expectDiscarded(s: Setup): Promise<void> {
  for (const leaf of ['token', 'received-token', 'waiting'])
    expect(await s.world.deps.params.get(s.store.name(PROJECT, leaf))).toBeUndefined();
  expect((await s.store.settings(PROJECT))!.enabled).toBe(false);
  // The password stays: it is a setting, not a verification secret.
  expect(await s.store.password(PROJECT)).toBe(PASSWORD);
}

const noTickets = (s: Setup): void =>
  expect(s.cs.desk.issues.repo('acme/support-tickets')!.issues).toHaveLength(0);

const resultMail = (s: Setup) => {
  const mails = s.world.outbox!.sent.filter((m) => !m.subject.startsWith('[ghes-ops] Verifying'));
  expect(mails).toHaveLength(1);
  return mails[0]!;
};

describe('custom-email-verification workflow (local engine, local SMTP desk, sandbox mail provider)', () => {
  it('verifies a provider that forwards with From intact: finished, secrets gone, owners and triggerer told, no ticket', async () => {
    const s = await setup();
    const { executionArn, result, history } = await verify(s);
    expect(result.status).toBe('SUCCEEDED');
    expect(s.tokens).toHaveLength(1);
    expect(s.tokens[0]).toMatch(/^[A-Za-z0-9]{12}$/);
    const out = result.output as {
      verification: { address: string; verifyAddress: string; deskAddress: string };
      evidence: { deliveredTo: string[]; from: string; tokenFound: boolean };
      check: { authentication: { spf: string; dkim: string; dmarc: string; authenticated: boolean } };
      result: { state: string };
    };
    expect(out.verification).toMatchObject({
      address: 'support@acme.localhost',
      verifyAddress: 'support+verify@acme.localhost',
      deskAddress: DESK_ADDRESS,
    });
    expect(out.evidence).toMatchObject({
      deliveredTo: [DESK_ADDRESS],
      from: 'support@acme.localhost',
      tokenFound: true,
    });
    expect(out.check.authentication).toEqual({
      spf: 'PASS',
      dkim: 'PASS',
      dmarc: 'PASS',
      authenticated: true,
    });
    expect(out.result.state).toBe('finished');
    expect(history.filter((e) => e.type === 'TaskTokenSucceeded')).toHaveLength(1);

    expect(await s.store.state(PROJECT)).toMatchObject({
      state: 'finished',
      triggeredBy: 'ops@acme.localhost',
      executionArn,
      verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
    });
    expect((await s.store.state(PROJECT))!.error).toBeUndefined();
    await expectDiscarded(s);

    const [started, done] = s.world.outbox!.sent;
    expect(started!.to.sort()).toEqual([OWNER, 'ops@acme.localhost'].sort());
    expect(started!.subject).toBe(
      '[ghes-ops] Verifying custom email address support@acme.localhost for acme-support',
    );
    expect(started!.text).toContain('to support+verify@acme.localhost');
    expect(done!.to.sort()).toEqual([OWNER, 'ops@acme.localhost'].sort());
    expect(done!.subject).toBe(
      '[ghes-ops] Custom email address support@acme.localhost for acme-support is verified',
    );
    expect(done!.text).toContain('enable the custom address with: ghes-ops desk email enable acme-support');
    expect(done!.text).toMatch(/DMARC: PASS/);
    // Enabling is allowed now.
    await expect(s.store.enable(PROJECT)).resolves.toMatchObject({ enabled: true });
    noTickets(s);
    expectNoSecrets(s, executionArn);
  });

  it.each([
    [
      'mail-connection-refused',
      'SmtpHostIssue',
      'smtp_host_issue',
      'could not send the verification email through your SMTP server',
      'Check the SMTP host name and port',
    ],
    [
      'mail-rejects-credentials',
      'InvalidCredentials',
      'invalid_credentials',
      'refused the username support@acme.localhost and the password',
      'Check the username and the password',
    ],
    [
      'mail-read-timeout',
      'ReadTimeout',
      'read_timeout',
      'accepted the connection but did not answer within 7 seconds',
      'Check the port',
    ],
    [
      'mail-wrong-target',
      'IncorrectForwardingTarget',
      'incorrect_forwarding_target',
      'The forwarded email reached support@desk.localhost, not the service desk address of acme-support',
      `Change the forwarding target at your mail provider to ${DESK_ADDRESS}`,
    ],
    [
      'mail-rewrites-from',
      'IncorrectFrom',
      'incorrect_from',
      'arrived From forwarder@acme.localhost, but it must stay support@acme.localhost',
      'Forward in a way that keeps the original sender',
    ],
    [
      'mail-wrong-token',
      'IncorrectToken',
      'incorrect_token',
      'carried a verification token that is not the one of this verification',
      'passes the message body unchanged',
    ],
  ])(
    '%s: fails with %s (%s), and the email says what happened and what to do',
    async (scenario, error, code, what, fix) => {
      const s = await setup(scenario);
      const { executionArn, result } = await verify(s);
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe(error);
      expect(causeMessage(result.cause).length).toBeGreaterThan(20);
      expect(await s.store.state(PROJECT)).toMatchObject({
        state: 'failed',
        error: code,
        triggeredBy: 'ops@acme.localhost',
        executionArn,
      });
      await expectDiscarded(s);
      const mail = resultMail(s);
      expect(mail.to.sort()).toEqual([OWNER, 'ops@acme.localhost'].sort());
      expect(mail.subject).toContain(`verification FAILED (${code}`);
      expect(mail.text).toContain(`What happened: `);
      expect(mail.text).toContain(what);
      expect(mail.text).toContain(`What to do: `);
      expect(mail.text).toContain(fix);
      expect(mail.text).toContain('ghes-ops desk verify acme-support');
      noTickets(s);
      expectNoSecrets(s, executionArn);
    },
  );

  it('mail-forwards-nothing: the 30-minute wait times out (time scale) into mail_not_received_within_timeframe', async () => {
    const s = await setup('mail-forwards-nothing', 0.0005);
    const { executionArn, result, history } = await verify(s);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('MailNotReceivedWithinTimeframe');
    expect(history.some((e) => e.type === 'TaskTokenTimedOut')).toBe(true);
    expect(causeMessage(result.cause)).toContain(`must be forwarded to ${DESK_ADDRESS}`);
    expect(await s.store.state(PROJECT)).toMatchObject({
      state: 'failed',
      error: 'mail_not_received_within_timeframe',
    });
    await expectDiscarded(s);
    const mail = resultMail(s);
    expect(mail.subject).toContain('(mail_not_received_within_timeframe: forwarded email not received)');
    expect(mail.text).toContain('no forwarded copy reached the service desk within 30 minutes');
    expect(mail.text).toContain(
      `mail to support+verify@acme.localhost (or all mail to support@acme.localhost) must be forwarded to ${DESK_ADDRESS}`,
    );
    expectNoSecrets(s, executionArn);
  });

  it('mail-forged-from with strict: unauthenticated_from, with the verdicts in the email', async () => {
    const s = await setup('mail-forged-from');
    const { executionArn, result } = await verify(s, { ...INPUT, strict: true });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UnauthenticatedFrom');
    expect(await s.store.state(PROJECT)).toMatchObject({
      state: 'failed',
      error: 'unauthenticated_from',
      verdicts: { spf: 'FAIL', dkim: 'GRAY', dmarc: 'FAIL' },
    });
    const mail = resultMail(s);
    expect(mail.text).toContain(
      "Strict mode: the forwarded email's From support@acme.localhost is not authenticated (SPF FAIL, DKIM GRAY, DMARC FAIL)",
    );
    expect(mail.text).toContain('sign mail from acme.localhost with DKIM');
    expect(mail.text).toContain('NOT authenticated');
    expectNoSecrets(s, executionArn);
  });

  it('mail-forged-from without strict passes, and reports the failed verdicts as a warning', async () => {
    const s = await setup('mail-forged-from');
    const { executionArn, result } = await verify(s);
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { check: { authentication: unknown } }).check.authentication).toEqual({
      spf: 'FAIL',
      dkim: 'GRAY',
      dmarc: 'FAIL',
      authenticated: false,
    });
    const mail = resultMail(s);
    expect(mail.subject).toMatch(/is verified$/);
    expect(mail.text).toContain(
      'Warning: the From address was not authenticated (SPF FAIL, DKIM GRAY, DMARC FAIL)',
    );
    expectNoSecrets(s, executionArn);
  });

  it('strict from the settings applies without the input field', async () => {
    const s = await setup('mail-forged-from');
    const current = (await s.store.settings(PROJECT))!;
    await s.store.saveSettings(PROJECT, { ...current, strict: true });
    const { result } = await verify(s);
    expect(result.error).toBe('UnauthenticatedFrom');
  });

  it('can be rerun after a failure: wrong password, fixed, verified', async () => {
    const s = await setup();
    const settings = (await s.store.settings(PROJECT))!;
    await s.store.set(PROJECT, {
      address: settings.address,
      smtpHost: settings.smtpHost,
      smtpPort: settings.smtpPort,
      username: settings.username,
      password: 'not-the-password',
    });
    const first = await verify(s);
    expect(first.result.error).toBe('InvalidCredentials');
    expect((await s.store.state(PROJECT))!.state).toBe('failed');
    await expect(s.store.enable(PROJECT)).rejects.toThrow(/not verified/);
    await s.store.set(PROJECT, {
      address: settings.address,
      smtpHost: settings.smtpHost,
      smtpPort: settings.smtpPort,
      username: settings.username,
      password: PASSWORD,
    });
    const second = await verify(s);
    expect(second.result.status).toBe('SUCCEEDED');
    expect(await s.store.state(PROJECT)).toMatchObject({
      state: 'finished',
      executionArn: second.executionArn,
    });
    expect(s.world.outbox!.sent.map((m) => m.subject.replace(/ for acme-support.*/, ''))).toEqual([
      '[ghes-ops] Verifying custom email address support@acme.localhost',
      '[ghes-ops] Custom email address support@acme.localhost',
      '[ghes-ops] Verifying custom email address support@acme.localhost',
      '[ghes-ops] Custom email address support@acme.localhost',
    ]);
  });

  it('refuses a second verification while one waits (VerificationAlreadyRunning); nothing of the first is touched', async () => {
    const s = await setup('mail-forwards-nothing', 0.01);
    const { executionArn: first } = await s.world.engine.startExecution('custom-email-verification', INPUT);
    await until(() => s.world.engine.listPendingTasks(first).length === 1);
    await until(async () => (await s.store.waiting(PROJECT)) !== undefined);
    const token = await s.store.token(PROJECT);
    const second = await verify(s, { ...INPUT, triggeredBy: 'someone@acme.localhost' });
    expect(second.result.status).toBe('FAILED');
    expect(second.result.error).toBe('VerificationAlreadyRunning');
    expect(causeMessage(second.result.cause)).toContain(`execution ${first}, started by ops@acme.localhost`);
    expect(s.world.engine.describeExecution(first).status).toBe('RUNNING');
    expect(await s.store.state(PROJECT)).toMatchObject({ state: 'started', executionArn: first });
    expect(await s.store.token(PROJECT)).toBe(token);
    expect(await s.store.waiting(PROJECT)).toBeDefined();
    // No email for the refused one.
    expect(s.world.outbox!.sent.filter((m) => m.to.includes('someone@acme.localhost'))).toHaveLength(0);
    await s.world.engine.stopExecution(first);
  });

  it('refuses before sending anything: unknown project (InputValidationError), no settings (CustomEmailNotConfigured)', async () => {
    const s = await setup();
    const unknown = await verify(s, { ...INPUT, project: 'nope' });
    expect(unknown.result.error).toBe('InputValidationError');
    expect(causeMessage(unknown.result.cause)).toContain('known projects: acme-support');
    const bad = await verify(s, { project: PROJECT, triggeredBy: 'not an address', extra: 1 });
    expect(bad.result.error).toBe('InputValidationError');
    expect(causeMessage(bad.result.cause)).toMatch(
      /extra: unknown field.*triggeredBy: "not an address" is not valid/,
    );
    await s.store.reset(PROJECT);
    const none = await verify(s);
    expect(none.result.error).toBe('CustomEmailNotConfigured');
    expect(causeMessage(none.result.cause)).toContain('ghes-ops desk email set acme-support');
    expect(s.tokens).toHaveLength(0);
    expect(s.world.outbox!.sent).toHaveLength(0);
    expect(await s.store.state(PROJECT)).toBeUndefined();
  });

  it('never makes a ticket of +verify mail: one nobody waits for is dropped with a logged reason', async () => {
    const s = await setup();
    const send = async (to: string, rcpt: string): Promise<void> => {
      const t = nodemailer.createTransport({
        host: '127.0.0.1',
        port: s.cs.desk.smtpPort,
        secure: false,
        ignoreTLS: true,
      });
      await t.sendMail({
        envelope: { from: 'someone@acme.localhost', to: [rcpt] },
        raw: `From: support@acme.localhost\r\nTo: ${to}\r\nSubject: Verify custom email address\r\nAuto-Submitted: no\r\nMessage-ID: <${Math.random()}@acme.localhost>\r\n\r\nVerification token: abcdefABCDEF\r\n`,
      });
      t.close();
      await s.cs.desk.settled();
    };
    await send('support+verify@acme.localhost', DESK_ADDRESS);
    await send('someone+verify@elsewhere.example', DESK_ADDRESS);
    noTickets(s);
    const reasons = s.world.logLines
      .filter((l) => l.includes('service desk: mail dropped'))
      .map((l) => (JSON.parse(l) as { reason: string }).reason);
    expect(reasons).toEqual(['verification-not-waiting', 'verification-address-unknown']);
    expect(s.world.logLines.join('\n')).not.toContain('abcdefABCDEF');
  });
});
