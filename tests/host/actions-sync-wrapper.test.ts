import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/local-world.js';

const WRAPPER = path.join(ROOT, 'host', 'ghes-ops-actions-sync');

/** Runs the host wrapper with fake `aws` and `actions-sync` first on PATH. */
function run(args: string[], opts: { awsFails?: boolean; binary?: 'installed' | 'missing' } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-wrapper-'));
  const log = path.join(dir, 'calls.log');
  const fake = (name: string, body: string): void => {
    writeFileSync(path.join(dir, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  fake(
    'aws',
    opts.awsFails
      ? 'echo "AccessDenied" >&2; exit 254'
      : `echo "aws $*" >> ${log}; echo ghp_secret_token_value`,
  );
  fake(
    'actions-sync',
    `printf 'actions-sync' >> ${log}; for a in "$@"; do printf ' [%s]' "$a" >> ${log}; done; echo >> ${log}; echo synced`,
  );
  let pre: string[] = [];
  if (opts.binary) {
    // The binary the preflight checked, elsewhere than the PATH's actions-sync.
    mkdirSync(path.join(dir, 'opt'));
    if (opts.binary === 'installed')
      fake(path.join('opt', 'actions-sync'), `echo "opt/actions-sync $*" >> ${log}; echo synced`);
    pre = ['--binary', path.join(dir, 'opt', 'actions-sync')];
  }
  const r = spawnSync('bash', [WRAPPER, ...pre, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
  });
  let calls = '';
  try {
    calls = readFileSync(log, 'utf8');
  } catch {
    /* nothing ran */
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

describe('host wrapper ghes-ops-actions-sync', () => {
  it('reads the token from SSM on the host and hands it to actions-sync, keeping the other arguments', () => {
    const r = run([
      '--token-parameter',
      '/ghes-ops/actions-sync/token',
      '--',
      'sync',
      '--cache-dir',
      '/tmp/c',
      '--repo-name',
      'actions/checkout',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('synced\n');
    expect(r.calls).toContain(
      'aws ssm get-parameter --with-decryption --name /ghes-ops/actions-sync/token --query Parameter.Value --output text',
    );
    expect(r.calls).toContain(
      'actions-sync [sync] [--cache-dir] [/tmp/c] [--repo-name] [actions/checkout] [--destination-token] [ghp_secret_token_value]',
    );
  });

  it('--binary runs exactly that file, not the actions-sync first on the PATH', () => {
    const r = run(['--token-parameter', '/ghes-ops/actions-sync/token', '--', 'sync', '--repo-name', 'a/b'], {
      binary: 'installed',
    });
    expect(r.code).toBe(0);
    expect(r.calls).toContain(
      'opt/actions-sync sync --repo-name a/b --destination-token ghp_secret_token_value',
    );
    expect(r.calls).not.toContain('actions-sync [');
  });

  it('--binary naming no executable file: exit 2, nothing read or run', () => {
    const r = run(['--token-parameter', '/ghes-ops/actions-sync/token', '--', 'sync'], { binary: 'missing' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not an executable file');
    expect(r.calls).toBe('');
  });

  it('exits 3 with the fix when the token cannot be read, without running actions-sync', () => {
    const r = run(['--token-parameter', '/ghes-ops/actions-sync/token', '--', 'sync'], { awsFails: true });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('instance profile allows ssm:GetParameter');
    expect(r.calls).not.toContain('actions-sync');
  });

  it.each([
    [['sync', '--repo-name', 'a/b']],
    [['--token-parameter', 'not/a/path', '--', 'sync']],
    [['--token-parameter', '/p', '--', 'sync', '--destination-token', 'x']],
    [['--binary', '../actions-sync', '--token-parameter', '/p', '--', 'sync']],
  ])('refuses bad usage %j with exit 2 and runs nothing', (args) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.calls).toBe('');
  });
});
