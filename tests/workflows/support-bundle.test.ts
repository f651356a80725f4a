import { describe, expect, it } from '@jest/globals';
import { command } from '../../shared/appliance/command.js';
import { causeMessage } from '../../shared/errors.js';
import { runWorkflow, testWorld } from '../helpers/local-world.js';

const statesEntered = (history: { type: string; stateName?: string }[]): string[] =>
  history.filter((e) => e.type === 'StateEntered').map((e) => e.stateName ?? '');

interface Check {
  state: string;
  statusFile?: string;
  elapsedSeconds: number;
  exitStatus?: number;
}
/** What each CheckBundle poll returned, in order. */
const checks = (history: { type: string; stateName?: string; output?: unknown }[]): Check[] =>
  history
    .filter((e) => e.type === 'StateExited' && e.stateName === 'CheckBundle')
    .map((e) => (e.output as { check: Check }).check);

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

  it('a detached bundle that stays running for 15 minutes is reported only once complete (bundle-slow)', async () => {
    const world = testWorld({ scenario: 'bundle-slow' });
    const { result, history } = await runWorkflow(world, 'support-bundle', { ticket: '1234567' });
    expect(result.status).toBe('SUCCEEDED');
    const seen = checks(history);
    const running = seen.filter((c) => c.state === 'running');
    // Polled every 30 s for 15 minutes: the status file said running each time, nothing was reported.
    expect(running.length).toBeGreaterThanOrEqual(25);
    expect(running.every((c) => c.statusFile === 'running' || c.statusFile === 'complete')).toBe(true);
    expect(running.some((c) => c.statusFile === 'running' && c.elapsedSeconds >= 600)).toBe(true);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ state: 'complete', statusFile: 'complete', exitStatus: 0 });
    expect(last.elapsedSeconds).toBeGreaterThanOrEqual(900);
    // The bundle was started detached, exactly once, with its output in a file.
    const lines = world.sandbox!.commandLog.map((c) => c.line);
    const starts = lines.filter((l) => l.includes('ghe-support-bundle -t'));
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatch(
      /^nohup setsid sh -c 'ghe-support-bundle -t 1234567; .*' > \/tmp\/ghes-ops-support-bundle-1234567-\d+\.log 2>&1 < \/dev\/null & echo \$!$/,
    );
    expect(world.outbox!.sent).toHaveLength(1);
    const mail = world.outbox!.sent[0]!;
    expect(mail.subject).toBe('[ghes-ops] Support bundle for ticket 1234567: uploaded');
    expect(mail.text).toContain('/tmp/ghe-support-bundle-status said "complete" and the command exited 0');
    expect(mail.text).toContain('Uploading support bundle to GitHub Enterprise Support (ticket 1234567)');
    expect(world.sandbox!.uploads.map((u) => u.ticket)).toEqual(['1234567']);
  });

  it('a dropped SSH session does not end the detached bundle; polling reconnects (bundle-session-drops)', async () => {
    const world = testWorld({ scenario: 'bundle-session-drops' });
    const { result, history } = await runWorkflow(world, 'support-bundle', { ticket: '1234567' });
    expect(result.status).toBe('SUCCEEDED');
    const retried = history.filter((e) => e.type === 'StateRetried' && e.stateName === 'CheckBundle');
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(checks(history).at(-1)).toMatchObject({
      state: 'complete',
      statusFile: 'complete',
      exitStatus: 0,
    });
    expect(world.sandbox!.bundles).toHaveLength(1);
    expect(world.sandbox!.uploads.map((u) => u.ticket)).toEqual(['1234567']);
    expect(world.outbox!.sent[0]?.subject).toBe('[ghes-ops] Support bundle for ticket 1234567: uploaded');
  });

  it('an attached command dies with the session in bundle-session-drops (what detaching avoids)', async () => {
    const world = testWorld({ scenario: 'bundle-session-drops' });
    const sandbox = world.sandbox!;
    const handle = await sandbox.runner.start('ghe-primary', command('ghe-support-bundle', '-t', '1234567'));
    await world.clock.sleep(600_000);
    const polled = await sandbox.runner.poll(handle);
    expect(polled).toMatchObject({ done: true, status: 'Failed', exitCode: 255 });
    expect(sandbox.readFile('ghe-primary', '/tmp/ghe-support-bundle-status')).toBe('running\n');
    expect(sandbox.uploads).toHaveLength(0);
  });

  it('refuses to start a second bundle while the status file says running, and starts nothing', async () => {
    const world = testWorld();
    world.sandbox!.writeFile('ghe-primary', '/tmp/ghe-support-bundle-status', 'running\n');
    const { result } = await runWorkflow(world, 'support-bundle', { ticket: '1234567' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SupportBundleFailed');
    expect(causeMessage(result.cause)).toContain('already being generated');
    expect(world.sandbox!.commandLog.map((c) => c.line)).toEqual(['cat /tmp/ghe-support-bundle-status']);
  });

  it('a "complete" left by an earlier bundle is not taken for this one', async () => {
    const world = testWorld({ scenario: 'bundle-slow' });
    world.sandbox!.writeFile('ghe-primary', '/tmp/ghe-support-bundle-status', 'complete\n');
    const { result, history } = await runWorkflow(world, 'support-bundle', {
      ticket: '1234567',
      timeoutMinutes: 5,
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SupportBundleTimeout');
    expect(checks(history).every((c) => c.state === 'running')).toBe(true);
    expect(world.outbox!.sent[0]?.subject).toContain('FAILED (SupportBundleTimeout)');
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
