import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { command, pipe, renderShell } from '../../shared/appliance/command.js';
import type { CommandHandle, PollResult } from '../../shared/appliance/runner.js';
import {
  ApplianceCommandFailed,
  ApplianceCommandTimeout,
  ApplianceUnreachable,
  ConfigError,
} from '../../shared/errors.js';
import { SshCommandRunner } from '../../local/adapters/ssh-runner.js';
import { fakeClock } from './fake-clock.js';
import { failure } from '../helpers/failure.js';

/**
 * A fake `ssh` first on PATH. It records its argv (NUL separated) and behaves as the FAKE_SSH_*
 * environment variables say. With FAKE_SSH_EXEC it runs the remote line with `sh -c`, next to
 * fake appliance programs that print each argument in brackets: that proves the quoting.
 */
const FAKE_SSH = `#!/bin/sh
: > "$FAKE_SSH_LOG"
for a in "$@"; do printf '%s\\0' "$a" >> "$FAKE_SSH_LOG"; done
if [ -n "$FAKE_SSH_TRAP_TERM" ]; then trap '' TERM; fi
if [ -n "$FAKE_SSH_DELAY" ]; then sleep "$FAKE_SSH_DELAY"; fi
if [ -n "$FAKE_SSH_STDOUT" ]; then printf '%s' "$FAKE_SSH_STDOUT"; fi
if [ -n "$FAKE_SSH_STDERR" ]; then printf '%s' "$FAKE_SSH_STDERR" >&2; fi
if [ -n "$FAKE_SSH_BYTES" ]; then head -c "$FAKE_SSH_BYTES" /dev/zero | tr '\\0' 'x'; fi
if [ -n "$FAKE_SSH_EXEC" ]; then for last in "$@"; do :; done; exec sh -c "$last"; fi
if [ -n "$FAKE_SSH_HANG" ]; then exec sleep 30; fi
exit "\${FAKE_SSH_EXIT:-0}"
`;
const FAKE_PROGRAM = `#!/bin/sh
printf '%s\\n' "$(basename "$0")"
for a in "$@"; do printf '[%s]\\n' "$a"; done
`;

let dir: string;
let log: string;
const originalPath = process.env.PATH;
const HOST = 'ghes-replica.example.com';

function fake(env: Record<string, string>): void {
  for (const key of Object.keys(process.env))
    if (key.startsWith('FAKE_SSH_') && key !== 'FAKE_SSH_LOG') delete process.env[key];
  Object.assign(process.env, env);
}

function recordedArgv(): string[] {
  const raw = readFileSync(log, 'utf8');
  return raw.split('\0').slice(0, -1);
}

async function pollUntilDone(runner: SshCommandRunner, handle: CommandHandle): Promise<PollResult> {
  for (let i = 0; i < 200; i++) {
    const r = await runner.poll(handle);
    if (r.done) return r;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('command did not finish');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ghes-ops-ssh-'));
  log = join(dir, 'argv.log');
  for (const [name, body] of [
    ['ssh', FAKE_SSH],
    ['ghe-support-upload', FAKE_PROGRAM],
    ['ghe-repl-status', FAKE_PROGRAM],
  ] as const) {
    writeFileSync(join(dir, name), body);
    chmodSync(join(dir, name), 0o755);
  }
  process.env.PATH = `${dir}:${originalPath}`;
  process.env.FAKE_SSH_LOG = log;
});

afterAll(() => {
  process.env.PATH = originalPath;
  delete process.env.FAKE_SSH_LOG;
  fake({});
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  fake({});
  rmSync(log, { force: true });
});

describe('SshCommandRunner argv', () => {
  it('runs ssh -p 122 admin@HOST -- LINE with batch-mode and keepalive defaults', async () => {
    fake({ FAKE_SSH_STDOUT: 'OK: mysql replication in sync\n' });
    const runner = new SshCommandRunner();

    const result = await runner.run(HOST, command('ghe-repl-status', '-vv'));

    expect(recordedArgv()).toEqual([
      '-p',
      '122',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=15',
      '-o',
      'ServerAliveInterval=15',
      '-o',
      'ServerAliveCountMax=4',
      'admin@ghes-replica.example.com',
      '--',
      'ghe-repl-status -vv',
    ]);
    expect(result).toEqual({
      status: 'Success',
      exitCode: 0,
      stdout: 'OK: mysql replication in sync\n',
      stderr: '',
    });
  });

  it('uses the configured user, port, identity file and options (given options win)', async () => {
    const runner = new SshCommandRunner({
      user: 'ops',
      port: 2222,
      identityFile: '/home/me/.ssh/id ed25519',
      options: ['StrictHostKeyChecking=accept-new', 'connecttimeout=5'],
    });

    await runner.run('10.0.0.12', command('uname', '-m'));

    expect(recordedArgv()).toEqual([
      '-p',
      '2222',
      '-i',
      '/home/me/.ssh/id ed25519',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'connecttimeout=5',
      '-o',
      'BatchMode=yes',
      '-o',
      'ServerAliveInterval=15',
      '-o',
      'ServerAliveCountMax=4',
      'ops@10.0.0.12',
      '--',
      'uname -m',
    ]);
  });

  it('passes the whole command line as one argument whose quoting survives the remote shell', async () => {
    fake({ FAKE_SSH_EXEC: '1' });
    const pwned = join(dir, 'pwned');
    const tricky = [
      "it's",
      `$(touch ${pwned}) \`touch ${pwned}\` $HOME`,
      'a b\tc',
      'line1\nline2',
      '"double" \\back',
      '; rm -rf / #',
      '*',
      '',
    ];
    const cmd = pipe(['ghe-repl-status', '-vv'], ['ghe-support-upload', '-t', '1234567', '-d', ...tricky]);

    const result = await new SshCommandRunner().run(HOST, cmd);

    const argv = recordedArgv();
    expect(argv.slice(-2)).toEqual(['--', renderShell(cmd)]);
    expect(argv).toHaveLength(13);
    expect(result.status).toBe('Success');
    expect(result.stdout).toBe(
      ['ghe-support-upload', '[-t]', '[1234567]', '[-d]', ...tricky.map((a) => `[${a}]`)].join('\n') + '\n',
    );
    expect(existsSync(pwned)).toBe(false);
  });

  it('refuses targets that are not host names without running ssh', async () => {
    const runner = new SshCommandRunner();
    for (const target of [
      'root@ghes.example.com',
      '-oProxyCommand=touch /tmp/x',
      'ghes.example.com:122',
      '',
    ]) {
      const err = await failure(runner.run(target, command('ghe-repl-status')));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toContain('host name');
    }
    expect(existsSync(log)).toBe(false);
  });

  it('refuses options that are not Keyword=value', () => {
    expect(() => new SshCommandRunner({ options: ['-F/etc/passwd'] })).toThrow(ConfigError);
    expect(() => new SshCommandRunner({ port: 0 })).toThrow(ConfigError);
    expect(() => new SshCommandRunner({ user: 'admin; id' })).toThrow(ConfigError);
  });
});

describe('SshCommandRunner results and errors', () => {
  it('reports a non-zero exit as a result', async () => {
    fake({
      FAKE_SSH_STDOUT: 'CRITICAL: git replication is behind\n',
      FAKE_SSH_STDERR: 'oops\n',
      FAKE_SSH_EXIT: '2',
    });
    expect(await new SshCommandRunner().run(HOST, command('ghe-repl-status'))).toEqual({
      status: 'Failed',
      exitCode: 2,
      stdout: 'CRITICAL: git replication is behind\n',
      stderr: 'oops\n',
    });
  });

  it.each([
    'ssh: connect to host ghes-replica.example.com port 122: Connection refused\r\n',
    'ssh: connect to host ghes-replica.example.com port 122: Connection timed out\r\n',
    'ssh: Could not resolve hostname ghes-replica.example.com: Name or service not known\r\n',
    'admin@ghes-replica.example.com: Permission denied (publickey).\r\n',
    'Host key verification failed.\r\n',
  ])('maps exit 255 with %j to ApplianceUnreachable', async (stderr) => {
    fake({ FAKE_SSH_STDERR: stderr, FAKE_SSH_EXIT: '255' });
    const err = await failure(new SshCommandRunner().run(HOST, command('ghe-repl-status')));
    expect(err).toBeInstanceOf(ApplianceUnreachable);
    expect(err.name).toBe('ApplianceUnreachable');
    expect(err.message).toContain(`ssh could not reach admin@${HOST} on port 122: ${stderr.trim()}`);
  });

  it('keeps exit 255 from the remote command as a result', async () => {
    fake({ FAKE_SSH_STDERR: 'fatal: something else\n', FAKE_SSH_EXIT: '255' });
    const result = await new SshCommandRunner().run(HOST, command('ghe-repl-status'));
    expect(result).toEqual({
      status: 'Failed',
      exitCode: 255,
      stdout: '',
      stderr: 'fatal: something else\n',
    });
  });

  const realSsh = existsSync('/usr/bin/ssh') ? it : it.skip;
  realSsh('maps a real ssh "Connection refused" on loopback to ApplianceUnreachable', async () => {
    const runner = new SshCommandRunner({ sshPath: '/usr/bin/ssh', port: 1, options: ['ConnectTimeout=5'] });
    const err = await failure(runner.run('127.0.0.1', command('ghe-repl-status')));
    expect(err).toBeInstanceOf(ApplianceUnreachable);
    expect(err.message).toContain('Connection refused');
  });

  it('throws ConfigError when the ssh client is missing', async () => {
    const err = await failure(
      new SshCommandRunner({ sshPath: join(dir, 'no-such-ssh') }).run(HOST, command('ghe-repl-status')),
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('was not found');
  });

  it('caps captured output and says so', async () => {
    fake({ FAKE_SSH_BYTES: '5000' });
    const result = await new SshCommandRunner({ maxOutputBytes: 1000 }).run(HOST, command('cat', '/tmp/big'));
    expect(result.stdout).toBe('x'.repeat(1000));
    expect(result.stderr).toBe('[ghes-ops] Standard output was cut after 1000 bytes.\n');
  });
});

describe('SshCommandRunner start/poll and timeouts', () => {
  it('start returns at once; poll reports when the command has exited', async () => {
    fake({ FAKE_SSH_DELAY: '0.4', FAKE_SSH_STDOUT: 'done\n' });
    const clock = fakeClock();
    const runner = new SshCommandRunner({ clock });

    const handle = await runner.start(HOST, command('ghe-repl-status'));

    expect(handle).toEqual({
      target: HOST,
      commandId: expect.stringMatching(/^ssh-[0-9a-f-]{36}$/),
      command: 'ghe-repl-status',
      startedAt: '2025-03-01T10:00:00.000Z',
    });
    expect(await runner.poll(handle)).toEqual({ done: false });
    expect(await pollUntilDone(runner, handle)).toEqual({
      done: true,
      status: 'Success',
      exitCode: 0,
      stdout: 'done\n',
      stderr: '',
    });
    // A repeated poll (a retried step) sees the same result.
    expect((await runner.poll(handle)).done).toBe(true);
  });

  it('poll throws ApplianceUnreachable for a connection failure', async () => {
    fake({ FAKE_SSH_STDERR: 'ssh: connect to host x port 122: No route to host\n', FAKE_SSH_EXIT: '255' });
    const runner = new SshCommandRunner();
    const handle = await runner.start(HOST, command('ghe-repl-status'));
    const err = await failure(pollUntilDone(runner, handle));
    expect(err).toBeInstanceOf(ApplianceUnreachable);
  });

  it('poll of a handle this process does not know throws ApplianceCommandFailed', async () => {
    const err = await failure(
      new SshCommandRunner().poll({
        target: HOST,
        commandId: 'ssh-gone',
        command: 'x',
        startedAt: '2025-01-01T00:00:00Z',
      }),
    );
    expect(err).toBeInstanceOf(ApplianceCommandFailed);
    expect(err.message).toContain('not known to this process');
  });

  it('run kills a command at its time limit and throws ApplianceCommandTimeout', async () => {
    fake({ FAKE_SSH_HANG: '1' });
    const started = Date.now();
    const err = await failure(
      new SshCommandRunner().run(HOST, command('ghe-repl-status'), { timeoutSeconds: 0.3 }),
    );
    expect(err).toBeInstanceOf(ApplianceCommandTimeout);
    expect(err.message).toBe(`ghe-repl-status on ${HOST} did not finish within 0.3 s and was stopped.`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('escalates to SIGKILL when ssh ignores SIGTERM', async () => {
    fake({ FAKE_SSH_HANG: '1', FAKE_SSH_TRAP_TERM: '1' });
    const started = Date.now();
    const err = await failure(
      new SshCommandRunner({ killGraceMs: 200 }).run(HOST, command('ghe-repl-status'), {
        timeoutSeconds: 0.2,
      }),
    );
    expect(err).toBeInstanceOf(ApplianceCommandTimeout);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a started command past its limit polls as TimedOut', async () => {
    fake({ FAKE_SSH_HANG: '1' });
    const runner = new SshCommandRunner();
    const handle = await runner.start(HOST, command('ghe-repl-status'), { timeoutSeconds: 0.2 });
    expect(await pollUntilDone(runner, handle)).toEqual({
      done: true,
      status: 'TimedOut',
      exitCode: 124,
      stdout: '',
      stderr: '',
    });
  });

  it('stopAll stops running commands, which then poll as Cancelled', async () => {
    fake({ FAKE_SSH_HANG: '1' });
    const runner = new SshCommandRunner();
    const handle = await runner.start(HOST, command('ghe-repl-status'));
    runner.stopAll();
    expect(await pollUntilDone(runner, handle)).toEqual({
      done: true,
      status: 'Cancelled',
      exitCode: 143,
      stdout: '',
      stderr: '',
    });
  });
});
