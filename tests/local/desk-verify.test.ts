import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyCommand } from '../../local/cli/desk-verify.js';
import { defaultConfig } from '../../local/config.js';
import { DEFAULT_CUSTOM_EMAIL } from '../../local/sandbox/mail-provider/index.js';
import { failure } from '../helpers/failure.js';
import { ROOT } from '../helpers/local-world.js';

describe('ghes-ops desk verify', () => {
  const loadConfig = async () => defaultConfig(ROOT);

  it('runs custom-email-verification with the project, --by (default: the first plain notify address or owner) and the run options', async () => {
    const calls: string[][] = [];
    const run = async (args: string[]) => (calls.push(args), 0);
    await verifyCommand(
      ['acme-support', '--by', 'Me@Acme.localhost', '--strict', '--scenario', 'mail-wrong-token'],
      {
        loadConfig,
        run,
      },
    );
    await verifyCommand(['acme-support', '--time-scale', '0.01', '--quiet'], { loadConfig, run });
    expect(calls).toEqual([
      [
        'custom-email-verification',
        '--input',
        JSON.stringify({ project: 'acme-support', triggeredBy: 'me@acme.localhost', strict: true }),
        '--scenario',
        'mail-wrong-token',
      ],
      [
        'custom-email-verification',
        '--input',
        JSON.stringify({ project: 'acme-support', triggeredBy: 'owner@acme.localhost' }),
        '--time-scale',
        '0.01',
        '--quiet',
      ],
    ]);
  });

  it('refuses no project (usage), an unknown project and a bad --by (named), before running anything', async () => {
    const run = async () => {
      throw new Error('must not run');
    };
    expect((await failure(verifyCommand([], { loadConfig, run }))).name).toBe('UsageError');
    const unknown = await failure(verifyCommand(['nope'], { loadConfig, run }));
    expect(unknown.name).toBe('InputValidationError');
    expect(unknown.message).toContain('known projects: acme-support');
    expect(
      (await failure(verifyCommand(['acme-support', '--by', 'x'], { loadConfig, run }))).message,
    ).toContain('triggeredBy');
  });

  it('the real CLI: verified (exit 0), then a failing scenario (exit 1) with the reason; no secret printed or logged', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-verify-'));
    const config = path.join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ stateDir: dir }));
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin', 'ghes-ops.mjs'), ...args, '--config', config], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const ok = cli('desk', 'verify', 'acme-support', '--time-scale', '0.01', '--quiet');
    expect(ok.status).toBe(0);
    expect((JSON.parse(ok.stdout) as { result: { state: string } }).result.state).toBe('finished');
    expect(ok.stderr).toContain('is verified');
    const bad = cli(
      'desk',
      'verify',
      'acme-support',
      '--time-scale',
      '0.01',
      '--quiet',
      '--scenario',
      'mail-wrong-target',
    );
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ status: 'FAILED', error: 'IncorrectForwardingTarget' });
    const shown = cli('desk', 'email', 'show', 'acme-support');
    expect(shown.stdout).toContain('incorrect_forwarding_target');
    const everything = [
      ok.stdout,
      ok.stderr,
      bad.stdout,
      bad.stderr,
      shown.stdout,
      readFileSync(path.join(dir, 'ghes-ops.log'), 'utf8'),
      ...readdirSync(path.join(dir, 'outbox')).map((f) => readFileSync(path.join(dir, 'outbox', f), 'utf8')),
    ].join('\n');
    expect(everything).not.toContain(DEFAULT_CUSTOM_EMAIL.password);
    expect(everything).not.toMatch(/Verification token: /);
  });
});
