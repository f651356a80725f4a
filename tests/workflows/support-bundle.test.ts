import { describe, expect, it } from '@jest/globals';
import { causeMessage } from '../../shared/errors.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';

const statesEntered = (history: { type: string; stateName?: string }[]): string[] =>
  history.filter((e) => e.type === 'StateEntered').map((e) => e.stateName ?? '');

describe('support-bundle workflow (real ASL, local engine, sandbox appliance)', () => {
  it('generates and uploads the bundle, polls until complete, and emails the outcome', async () => {
    const world = testWorld();
    const { result, history } = await runWorkflow(world, 'support-bundle', {
      ticket: '1234567',
      notify: ['oncall@example.com'],
    });
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as {
      notification: { outcome: string; to: string[]; sent: boolean };
      bundle: { command: string };
    };
    expect(output.notification).toMatchObject({
      outcome: 'uploaded',
      sent: true,
      to: ['oncall@example.com'],
    });
    expect(output.bundle.command).toBe('ghe-support-bundle -t 1234567');
    const states = statesEntered(history);
    expect(states.filter((s) => s === 'CheckBundle').length).toBeGreaterThan(1);
    expect(states).not.toContain('AttachReplicationStatus');
    expect(world.sandbox!.uploads.map((u) => u.ticket)).toEqual(['1234567']);
    const [mail] = world.outbox!.sent;
    expect(mail?.subject).toBe('[ghes-ops] Support bundle for ticket 1234567: uploaded');
    expect(mail?.text).toContain('ghe-support-bundle -t 1234567');
    expect(mail?.to).toEqual(['oncall@example.com']);
  });

  it('attaches ghe-repl-status -vv from the replica to the same ticket', async () => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'support-bundle', {
      ticket: '7654321',
      scope: 'cluster',
      period: '3days',
      attachReplicationStatus: true,
    });
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { bundle: { command: string } }).bundle.command).toBe(
      'ghe-cluster-support-bundle -p 3days -t 7654321',
    );
    expect(world.sandbox!.uploads.map((u) => u.ticket)).toEqual(['7654321', '7654321']);
    const mail = world.outbox!.sent[0]!;
    expect(mail.text).toContain('OK: mysql replication in sync');
    expect(mail.text).toContain('uploaded to the same ticket');
  });

  it('fails with SupportBundleFailed when the upload fails, and the email says why', async () => {
    const world = testWorld({ scenario: 'upload-fails' });
    const { result, history } = await runWorkflow(world, 'support-bundle', { ticket: '1234567' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SupportBundleFailed');
    expect(causeMessage(result.cause)).toMatch(/failed with exit status [1-9]/);
    expect(statesEntered(history)).toEqual(expect.arrayContaining(['NotifyFailure', 'Failed']));
    const mail = world.outbox!.sent[0]!;
    expect(mail.subject).toBe('[ghes-ops] Support bundle for ticket 1234567: FAILED (SupportBundleFailed)');
    expect(mail.text).toMatch(/upload failed/i);
    expect(mail.text).toContain('outbound HTTPS');
  });

  it('gives up at the time limit with SupportBundleTimeout and says the bundle may still be running', async () => {
    const world = testWorld({ scenario: 'slow' });
    const { result } = await runWorkflow(world, 'support-bundle', { ticket: '1234567', timeoutMinutes: 2 });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SupportBundleTimeout');
    const mail = world.outbox!.sent[0]!;
    expect(mail.text).toContain('may still be running');
    expect(mail.text).toContain('/tmp/ghe-support-bundle-status');
  });

  it('fails with ApplianceUnreachable when the primary is down, and notifies', async () => {
    const world = testWorld({ scenario: 'primary-down' });
    const { result } = await runWorkflow(world, 'support-bundle', { ticket: '1234567' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ApplianceUnreachable');
    expect(world.outbox!.sent[0]?.subject).toContain('FAILED (ApplianceUnreachable)');
  });

  it.each([
    ['a command after the ticket', { ticket: '1234567; rm -rf /' }, 'ticket'],
    ['a command substitution', { ticket: '$(id)' }, 'ticket'],
    ['a newline', { ticket: '1234567\nreboot' }, 'ticket'],
    ['a 10,000-character period', { ticket: '1234567', period: `2days${'x'.repeat(10_000)}` }, 'period'],
    ['a shell list in scope', { ticket: '1234567', scope: 'primary && reboot' }, 'scope'],
  ])('refuses %s before any command runs, naming the field', async (_label, input, field) => {
    const world = testWorld();
    const { result } = await runWorkflow(world, 'support-bundle', input);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InputValidationError');
    expect(causeMessage(result.cause)).toContain(`${field}:`);
    expect(world.sandbox!.commandLog).toHaveLength(0);
    expect(world.outbox!.sent).toHaveLength(0);
  });
});
