import { describe, expect, it } from '@jest/globals';
import { causeMessage } from '../../shared/errors.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';
import { until } from '../helpers/failover.js';
import { decide } from '../../shared/approval/gate.js';

const HOST = 'github.sandbox.localhost';
const acmeLines = (world: ReturnType<typeof testWorld>): string[] =>
  world.sandbox!.commandLog.map((c) => c.line).filter((l) => l.startsWith('ghe-ssl-acme'));
const statesEntered = (history: { type: string; stateName?: string }[]): string[] =>
  history.filter((e) => e.type === 'StateEntered').map((e) => e.stateName ?? '');

describe('tls-certificate workflow (real ASL, local engine, a real TLS handshake to the sandbox)', () => {
  it('reports a healthy certificate without touching ACME', async () => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'tls-certificate', {});
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as {
      inspect: { status: string; daysLeft: number };
      notification: { outcome: string };
    };
    expect(output.inspect.status).toBe('ok');
    expect(output.inspect.daysLeft).toBeGreaterThanOrEqual(74);
    expect(output.notification.outcome).toBe('ok');
    expect(acmeLines(world)).toEqual(['ghe-ssl-acme -s']);
    expect(world.outbox!.sent[0]!.subject).toMatch(
      new RegExp(`TLS certificate of ${HOST}: ok, \\d+ days left`),
    );
  });

  it('renews a certificate 15 days from expiry with ghe-ssl-acme -e and confirms the new one is served', async () => {
    const world = testWorld({ scenario: 'tls-expires-soon' });
    const { result, history } = await runWorkflow(world, 'tls-certificate', { notify: ['web@example.com'] });
    expect(result.status).toBe('SUCCEEDED');
    expect(acmeLines(world)).toEqual(['ghe-ssl-acme -s', 'ghe-ssl-acme -e']);
    expect(statesEntered(history)).toEqual(
      expect.arrayContaining(['Inspect', 'Renew', 'CheckRenewal', 'Notify', 'Done']),
    );
    const output = result.output as {
      inspect: { status: string; served: { chain: { fingerprint256: string }[] } };
      check: { state: string; served: { chain: { fingerprint256: string; validTo: string }[] } };
    };
    expect(output.inspect.status).toBe('renew-due');
    expect(output.check.state).toBe('confirmed');
    expect(output.check.served.chain[0]!.fingerprint256).not.toBe(
      output.inspect.served.chain[0]!.fingerprint256,
    );
    expect(world.runbook.tls!.state.renewals).toBe(1);
    const mail = world.outbox!.sent[0]!;
    expect(mail.subject).toMatch(/renewed, valid until \d{4}-\d\d-\d\d/);
    expect(mail.to).toEqual(['web@example.com']);
  });

  it('waits for the maintenance window: no renewal outside it', async () => {
    const world = testWorld({ scenario: 'tls-expires-soon' });
    const hour = new Date(world.clock.now()).getUTCHours();
    const closed = `${String((hour + 2) % 24).padStart(2, '0')}:00-${String((hour + 3) % 24).padStart(2, '0')}:00`;
    const { result } = await runWorkflow(world, 'tls-certificate', { maintenanceWindow: closed });
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { inspect: { decision: string } }).inspect.decision).toBe('outside-window');
    expect(acmeLines(world)).toEqual(['ghe-ssl-acme -s']);
    expect(world.outbox!.sent[0]!.text).toContain('waits for the maintenance window');
  });

  describe('a failed renewal waits for approval of the recovery (-x then -e -v)', () => {
    const waiting = async (world: ReturnType<typeof testWorld>, executionArn: string) => {
      await until(
        () =>
          world.engine.listPendingTasks(executionArn).length === 1 &&
          world.outbox!.sent.some((m) => m.subject.includes('APPROVAL NEEDED')),
      );
      return world.outbox!.sent.find((m) => m.subject.includes('APPROVAL NEEDED'))!;
    };
    const approve = (world: ReturnType<typeof testWorld>, name: string, decision: 'approve' | 'reject') =>
      decide(
        {
          workflow: 'tls-certificate',
          executionName: name,
          decision,
          by: 'erin',
          reason: 'checked port 80',
          via: 'cli',
        },
        world.deps,
        { trusted: true },
      );

    it('approve: the recovery runs, the new certificate is served, the mail says the first attempt failed', async () => {
      const world = testWorld({ scenario: 'tls-acme-stale' });
      const { executionArn } = await world.engine.startExecution('tls-certificate', {}, 'tls-approve');
      const ask = await waiting(world, executionArn);
      expect(ask.subject).toBe(
        `[ghes-ops] APPROVAL NEEDED: ACME recovery (ghe-ssl-acme -x, -e -v) for ${HOST}`,
      );
      expect(ask.text).toContain('ACME http-01 challenge');
      expect(ask.text).toContain('ghes-ops approve tls-approve');
      // Nothing beyond the failed -e ran while waiting.
      expect(acmeLines(world)).toEqual(['ghe-ssl-acme -s', 'ghe-ssl-acme -e']);
      await approve(world, 'tls-approve', 'approve');
      const result = await world.engine.waitForExecution(executionArn);
      expect(result.status).toBe('SUCCEEDED');
      expect(acmeLines(world)).toEqual([
        'ghe-ssl-acme -s',
        'ghe-ssl-acme -e',
        'ghe-ssl-acme -x',
        'ghe-ssl-acme -e -v',
      ]);
      const mail = world.outbox!.sent.at(-1)!;
      expect(mail.subject).toMatch(/renewed, valid until \d{4}-\d\d-\d\d/);
      expect(mail.text).toContain('recovery was approved by erin (cli)');
    });

    it('approved recovery that fails too: the mail carries the output and the certificate for a Support ticket', async () => {
      const world = testWorld({ scenario: 'tls-renewal-fails' });
      const { executionArn } = await world.engine.startExecution('tls-certificate', {}, 'tls-fails');
      await waiting(world, executionArn);
      await approve(world, 'tls-fails', 'approve');
      const result = await world.engine.waitForExecution(executionArn);
      expect(result.error).toBe('AcmeRenewalFailed');
      expect(causeMessage(result.cause)).toContain('port 80');
      expect(acmeLines(world)).toEqual([
        'ghe-ssl-acme -s',
        'ghe-ssl-acme -e',
        'ghe-ssl-acme -x',
        'ghe-ssl-acme -e -v',
      ]);
      const mail = world.outbox!.sent.at(-1)!;
      expect(mail.subject).toBe(`[ghes-ops] TLS certificate of ${HOST}: FAILED (AcmeRenewalFailed)`);
      expect(mail.text).toContain('The recovery attempt failed too');
      expect(mail.text).toContain('-----BEGIN CERTIFICATE-----');
      expect(mail.text).toContain(`openssl s_client -connect ${HOST}:443 -servername ${HOST}`);
    });

    it('reject: the recovery does not run; the execution ends RecoveryRejected and the mail says nothing changed', async () => {
      const world = testWorld({ scenario: 'tls-renewal-fails' });
      const { executionArn } = await world.engine.startExecution('tls-certificate', {}, 'tls-reject');
      await waiting(world, executionArn);
      await approve(world, 'tls-reject', 'reject');
      const result = await world.engine.waitForExecution(executionArn);
      expect(result.error).toBe('RecoveryRejected');
      expect(acmeLines(world)).toEqual(['ghe-ssl-acme -s', 'ghe-ssl-acme -e']);
      const mail = world.outbox!.sent.at(-1)!;
      expect(mail.subject).toBe(
        `[ghes-ops] TLS certificate of ${HOST}: renewal FAILED, recovery rejected, nothing changed`,
      );
      expect(mail.text).toContain('NOTHING WAS CHANGED by the recovery');
      expect(mail.text).toContain('Rejected by erin (cli): checked port 80');
      expect(mail.text).toContain('ACME http-01 challenge');
    });

    it('timeout: the recovery does not run, the mail says nothing changed', async () => {
      const world = testWorld({ scenario: 'tls-renewal-fails' });
      const { result } = await runWorkflow(world, 'tls-certificate', {});
      expect(result.error).toBe('States.Timeout');
      expect(acmeLines(world)).toEqual(['ghe-ssl-acme -s', 'ghe-ssl-acme -e']);
      expect(world.outbox!.sent.at(-1)!.subject).toBe(
        `[ghes-ops] TLS certificate of ${HOST}: renewal FAILED, recovery not approved in time, nothing changed`,
      );
    });

    it('{"recovery": true} runs the recovery at once, without waiting', async () => {
      const world = testWorld({ scenario: 'tls-renewal-fails' });
      const { result, history } = await runWorkflow(world, 'tls-certificate', { recovery: true });
      expect(result.error).toBe('AcmeRenewalFailed');
      expect(statesEntered(history)).not.toContain('RequestRecoveryApproval');
      expect(acmeLines(world)).toEqual(['ghe-ssl-acme -s', 'ghe-ssl-acme -x', 'ghe-ssl-acme -e -v']);
      expect(world.outbox!.sent.at(-1)!.text).toContain('The recovery attempt failed too');
    });
  });

  it('fails with CertificateExpired when the certificate expired and ACME is off, mailing the manual steps', async () => {
    const world = testWorld({ scenario: 'tls-expired' });
    const { result } = await runWorkflow(world, 'tls-certificate', {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CertificateExpired');
    expect(acmeLines(world)).toEqual(['ghe-ssl-acme -s']);
    const mail = world.outbox!.sent[0]!;
    expect(mail.subject).toBe(`[ghes-ops] TLS certificate of ${HOST}: ACTION NEEDED (CertificateExpired)`);
    expect(mail.text).toMatch(/expired \d days ago/);
    expect(mail.text).toContain('Management Console');
  });

  it('renews nothing when the certificate is for another name', async () => {
    const world = testWorld({ scenario: 'tls-wrong-hostname' });
    const { result } = await runWorkflow(world, 'tls-certificate', {});
    expect(result.error).toBe('CertificateHostnameMismatch');
    expect(causeMessage(result.cause)).toContain('ghes-old.example.com');
    expect(acmeLines(world)).toEqual(['ghe-ssl-acme -s']);
  });

  it('fails with ApplianceUnreachable when the primary is down, and notifies', async () => {
    const world = testWorld({ scenario: 'primary-down' });
    const { result } = await runWorkflow(world, 'tls-certificate', {});
    expect(result.error).toBe('ApplianceUnreachable');
    expect(world.outbox!.sent[0]!.subject).toContain('FAILED (ApplianceUnreachable)');
  });
});
