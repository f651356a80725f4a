import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/local-world.js';

/** Runs the real CLI (bin/ghes-ops.mjs) in a child process, with its state in a temp dir. */
function cli(args: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-cli-'));
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ stateDir: dir }));
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin', 'ghes-ops.mjs'), ...args, '--config', config],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ghes-ops CLI', () => {
  it('runs support-bundle on the sandbox: progress on stderr, output JSON on stdout, exit 0', () => {
    const r = cli(['run', 'support-bundle', '--input', '{"ticket":"1234567"}', '--time-scale', '0.001']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('> StartBundle');
    expect(r.stderr).toContain('~ WaitForBundle: waiting 30s');
    expect(r.stderr).toContain('execution succeeded');
    expect((JSON.parse(r.stdout) as { notification: { outcome: string } }).notification.outcome).toBe(
      'uploaded',
    );
  });

  it('exits 1 with the error and its cause when the scenario makes the upload fail', () => {
    const r = cli([
      'run',
      'support-bundle',
      '--input',
      '{"ticket":"1234567"}',
      '--scenario',
      'upload-fails',
      '--time-scale',
      '0.001',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FAILED: SupportBundleFailed');
    expect(r.stderr).toContain('upload failed');
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'FAILED', error: 'SupportBundleFailed' });
  });

  it('explains bad command lines with exit 2', () => {
    expect(cli(['run', 'support-bundle', '--input', '{ticket:1}']).stderr).toMatch(
      /--input: is not valid JSON/,
    );
    const unknown = cli(['run', 'support-bundle', '--scenario', 'meteor-strike']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown scenario "meteor-strike". Scenarios: healthy/);
    expect(cli(['run', 'nope']).stderr).toMatch(/unknown workflow "nope"/);
  });

  it('lists workflows with their inputs and prints the effective config', () => {
    const w = cli(['workflows']);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('support-bundle: Support bundle upload');
    expect(w.stdout).toContain('ticket: string');
    const c = cli(['config', '--json']);
    expect((JSON.parse(c.stdout) as { appliance: unknown }).appliance).toMatchObject({
      runner: 'sandbox',
      primary: 'ghe-primary',
    });
  });

  it('sandbox reset without a stack of this configuration says there is nothing to reset; bad usage is 2', () => {
    const r = cli(['sandbox', 'reset']);
    expect(r.code).toBe(r.stdout.includes('No stack runs') ? 0 : 1);
    expect(`${r.stdout}${r.stderr}`).toMatch(
      /No stack runs at .*nothing to reset|runs with the state directory/,
    );
    expect(cli(['sandbox', 'rebuild']).code).toBe(2);
  });

  /** `ghes-ops run failover` (planned, sandbox) that gets `signals` SIGINTs once the primary is fenced. */
  async function interruptedFailover(signals: number) {
    const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-cli-'));
    const config = path.join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ stateDir: dir }));
    const input = JSON.stringify({
      mode: 'planned',
      traffic: { route53: { hostedZoneId: 'Z0SANDBOX00000000000', recordName: 'ghes.sandbox.test' } },
      reason: 'drill: interrupted on purpose',
    });
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin', 'ghes-ops.mjs'),
        'run',
        'failover',
        '--input',
        input,
        '--time-scale',
        '0.05',
        '--config',
        config,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    let sent = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The primary is in maintenance mode once FencePrimary is done: interrupt while draining.
      // A second one once the first was acknowledged (two pending signals would merge into one).
      if (
        sent < signals &&
        stderr.includes('+ FencePrimary') &&
        (sent === 0 || stderr.includes('SIGINT: stopping'))
      ) {
        sent++;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(sent).toBe(signals);
    return { code, stderr, stdout };
  }

  it('Ctrl-C during a planned failover stops it safely: maintenance mode off again, lock released, mail sent', async () => {
    const { code, stderr, stdout } = await interruptedFailover(1);
    expect(code).toBe(1);
    expect(stderr).toContain('SIGINT: stopping');
    expect(stderr).toMatch(
      /stopped by SIGINT: \[ghes-ops\] Failover ghe-primary -> ghe-replica ABORTED: nothing changed, service restored at \d\d:\d\d UTC; lock released/,
    );
    expect(stderr).not.toContain('> StartPromotion');
    expect(JSON.parse(stdout)).toMatchObject({ status: 'ABORTED' });
  }, 60_000);

  it('a second Ctrl-C exits at once (130), saying what was left', async () => {
    const { code, stderr } = await interruptedFailover(2);
    expect(code).toBe(130);
    expect(stderr).toContain('SIGINT again: exiting now. Left behind:');
  }, 60_000);
});
