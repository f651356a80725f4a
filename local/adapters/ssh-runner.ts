import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { renderShell, type ApplianceCommand } from '../../shared/appliance/command.js';
import type {
  CommandHandle,
  CommandResult,
  CommandRunner,
  CommandStatus,
  PollResult,
  StartOptions,
  Target,
} from '../../shared/appliance/runner.js';
import { isoNow, realClock, type Clock } from '../../shared/clock.js';
import {
  ApplianceCommandFailed,
  ApplianceCommandTimeout,
  ApplianceUnreachable,
  ConfigError,
  InputValidationError,
} from '../../shared/errors.js';
import { PATTERNS } from '../../shared/validate.js';

export interface SshRunnerOptions {
  /** Administrative user. Default `admin`. */
  user?: string;
  /** Administrative SSH port. Default 122. */
  port?: number;
  /** Private key (`ssh -i`). Default: ssh's own configuration and agent. */
  identityFile?: string;
  /**
   * `-o` options, e.g. `StrictHostKeyChecking=accept-new`. Given options win over the defaults
   * (`BatchMode=yes`, `ConnectTimeout=15`, `ServerAliveInterval=15`, `ServerAliveCountMax=4`): ssh
   * keeps the first value it reads for a keyword.
   */
  options?: string[];
  /** The ssh client. Default `ssh`, looked up on PATH. */
  sshPath?: string;
  /** Time stamps of handles (the local engine's clock). Kill timers always use real time. */
  clock?: Clock;
  /** Bytes kept of stdout and of stderr each. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Time (real ms) after SIGTERM before SIGKILL. Default 5,000. */
  killGraceMs?: number;
  /** Finished commands are kept this long (real ms) for repeated polls. Default 1 hour. */
  retainFinishedMs?: number;
}

/**
 * Keepalives: a long command that prints nothing for minutes (a promotion, a support bundle) keeps
 * its session through idle-timeout firewalls and NAT, and a session whose network path died is
 * noticed after about a minute (4 unanswered probes 15 s apart: ssh exits 255, reported as
 * ApplianceUnreachable) instead of hanging until the command's own time limit.
 */
const DEFAULT_SSH_OPTIONS = [
  'BatchMode=yes',
  'ConnectTimeout=15',
  'ServerAliveInterval=15',
  'ServerAliveCountMax=4',
];
const DEFAULT_TIMEOUT_SECONDS = 3600;
const MAX_TIMEOUT_SECONDS = 172800;
/** Exit code reported for a command killed at its time limit (as coreutils `timeout`). */
const TIMEOUT_EXIT_CODE = 124;
const USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const OPTION = /^[A-Za-z][A-Za-z0-9]*=[^\0\r\n]*$/;
/**
 * ssh's own messages when it could not connect or authenticate, or the session dropped (then ssh
 * exits 255), e.g. `ssh: connect to host h port 122: Connection refused`, `ssh: Could not resolve
 * hostname h: ...`, `admin@h: Permission denied (publickey).`, `Host key verification failed.`,
 * and for a session whose path died `Timeout, server h not responding.` (keepalives unanswered),
 * `Connection to h closed by remote host.`, `client_loop: send disconnect: Broken pipe`.
 */
const UNREACHABLE =
  /^(?:ssh: (?:connect to host|could not resolve hostname)|\S+: permission denied \(|host key verification failed|kex_exchange_identification|banner exchange|connection (?:closed|reset|timed out) by|timeout, server \S+ not responding|connection to \S+ closed by remote host|client_loop: send disconnect)/im;

/** Collects a stream up to a byte limit. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.size += part.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

interface Running {
  child: ChildProcess;
  target: Target;
  stdout: CappedBuffer;
  stderr: CappedBuffer;
  timedOut: boolean;
  stopped: boolean;
  timer?: NodeJS.Timeout;
  /** Set when the process has exited and its streams are closed. */
  exit?: { code: number | null; signal: NodeJS.Signals | null; at: number };
  closed: Promise<void>;
}

/**
 * Runs appliance commands over the administrative SSH port: `ssh -p 122 admin@HOST -- LINE`, with
 * `LINE` built by `renderShell` and passed as one argv element (no local shell is involved).
 *
 * Commands started with `start` live in an in-memory registry of this process (the local engine
 * runs in the same process); `poll` reads it. A handle from another process is unknown here.
 */
export class SshCommandRunner implements CommandRunner {
  private readonly running = new Map<string, Running>();
  private readonly user: string;
  private readonly port: number;
  private readonly sshPath: string;
  private readonly clock: Clock;
  private readonly maxOutputBytes: number;
  private readonly killGraceMs: number;
  private readonly retainFinishedMs: number;
  private readonly options: string[];

  constructor(private readonly opts: SshRunnerOptions = {}) {
    this.user = opts.user ?? 'admin';
    this.port = opts.port ?? 122;
    this.sshPath = opts.sshPath ?? 'ssh';
    this.clock = opts.clock ?? realClock;
    this.maxOutputBytes = opts.maxOutputBytes ?? 1024 * 1024;
    this.killGraceMs = opts.killGraceMs ?? 5000;
    this.retainFinishedMs = opts.retainFinishedMs ?? 3600_000;
    if (!USER.test(this.user))
      throw new ConfigError(`ssh user ${JSON.stringify(this.user)} is not a valid user name.`);
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      throw new ConfigError(`ssh port must be a whole number from 1 to 65535, got ${this.port}.`);
    }
    if (opts.identityFile !== undefined && (opts.identityFile === '' || /[\0\r\n]/.test(opts.identityFile))) {
      throw new ConfigError('ssh identityFile must be a file path.');
    }
    for (const o of opts.options ?? []) {
      if (!OPTION.test(o)) {
        throw new ConfigError(
          `ssh option ${JSON.stringify(o).slice(0, 80)} must look like Keyword=value (passed as -o).`,
        );
      }
    }
    this.options = mergeOptions(opts.options ?? [], DEFAULT_SSH_OPTIONS);
  }

  /** The argv (without the ssh program) for a target and shell line. */
  argv(target: Target, line: string): string[] {
    return [
      '-p',
      String(this.port),
      ...(this.opts.identityFile ? ['-i', this.opts.identityFile] : []),
      ...this.options.flatMap((o) => ['-o', o]),
      `${this.user}@${target}`,
      '--',
      line,
    ];
  }

  async start(target: Target, cmd: ApplianceCommand, opts: StartOptions = {}): Promise<CommandHandle> {
    checkTarget(target);
    const timeoutSeconds = timeoutOf(opts);
    this.evict();
    const line = renderShell(cmd);
    const child = spawn(this.sshPath, this.argv(target, line), {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Explicit, so that `ssh` is looked up on the PATH this process sees at call time.
      env: process.env,
      shell: false,
      windowsHide: true,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') {
          reject(
            new ConfigError(
              `The ssh client ${JSON.stringify(this.sshPath)} was not found. Install OpenSSH (apt-get install openssh-client) or set the ssh path in the local configuration.`,
            ),
          );
        } else {
          reject(new ApplianceUnreachable(`Could not start ssh for ${target}: ${err.message}`, { target }));
        }
      });
    });
    child.on('error', () => {
      /* after spawn, failures show as the exit status */
    });
    const entry: Running = {
      child,
      target,
      stdout: new CappedBuffer(this.maxOutputBytes),
      stderr: new CappedBuffer(this.maxOutputBytes),
      timedOut: false,
      stopped: false,
      closed: Promise.resolve(),
    };
    child.stdout?.on('data', (c: Buffer) => entry.stdout.push(c));
    child.stderr?.on('data', (c: Buffer) => entry.stderr.push(c));
    entry.closed = new Promise<void>((resolve) => {
      child.once('close', (code, signal) => {
        if (entry.timer) clearTimeout(entry.timer);
        entry.exit = { code, signal, at: Date.now() };
        resolve();
      });
    });
    entry.timer = setTimeout(() => this.kill(entry, 'timeout'), timeoutSeconds * 1000);
    entry.timer.unref();
    const commandId = `ssh-${randomUUID()}`;
    this.running.set(commandId, entry);
    return { target, commandId, command: line, startedAt: isoNow(this.clock) };
  }

  async poll(handle: CommandHandle): Promise<PollResult> {
    const entry = this.running.get(handle.commandId);
    if (!entry) {
      throw new ApplianceCommandFailed(
        `Command ${handle.commandId} on ${handle.target} is not known to this process: the ssh runner keeps ` +
          'running commands in memory, so a command started by a process that has since stopped cannot be ' +
          'followed. Check the appliance and start the workflow again.',
        { commandId: handle.commandId, target: handle.target },
      );
    }
    if (!entry.exit) return { done: false };
    return { done: true, ...this.result(entry) };
  }

  async run(target: Target, cmd: ApplianceCommand, opts: StartOptions = {}): Promise<CommandResult> {
    const handle = await this.start(target, cmd, opts);
    const entry = this.running.get(handle.commandId);
    if (!entry) throw new Error('ssh runner lost a command it just started');
    await entry.closed;
    this.running.delete(handle.commandId);
    const result = this.result(entry);
    if (result.status === 'TimedOut') {
      const seconds = timeoutOf(opts);
      throw new ApplianceCommandTimeout(
        `${cmd.pipeline.map((a) => a[0]).join(' | ')} on ${target} did not finish within ${seconds} s and was stopped.`,
        { target, timeoutSeconds: seconds, stderrTail: result.stderr.slice(-2000) },
      );
    }
    return result;
  }

  /** Stops every command still running (for shutdown). */
  stopAll(): void {
    for (const entry of this.running.values()) if (!entry.exit) this.kill(entry, 'stop');
  }

  private kill(entry: Running, reason: 'timeout' | 'stop'): void {
    if (entry.exit) return;
    if (reason === 'timeout') entry.timedOut = true;
    else entry.stopped = true;
    if (entry.timer) clearTimeout(entry.timer);
    entry.child.kill('SIGTERM');
    const hard = setTimeout(() => {
      if (!entry.exit) entry.child.kill('SIGKILL');
    }, this.killGraceMs);
    hard.unref();
  }

  /** Maps an exited process to a result; throws `ApplianceUnreachable` for ssh connection failures. */
  private result(entry: Running): CommandResult {
    const exit = entry.exit ?? { code: null, signal: null };
    const stdout = entry.stdout.text();
    let stderr = entry.stderr.text();
    if (exit.code === 255 && UNREACHABLE.test(stderr) && !entry.timedOut && !entry.stopped) {
      const shown = stderr.trim().slice(-2000);
      throw new ApplianceUnreachable(
        `ssh could not reach ${this.user}@${entry.target} on port ${this.port}: ${shown}. Check the host name, ` +
          'that port 122 is open from this machine, and that your key is authorized for the admin user ' +
          '(Management Console > Authentication > SSH access).',
        { target: entry.target, port: this.port, exitCode: 255 },
      );
    }
    const notes: string[] = [];
    if (entry.stdout.truncated)
      notes.push(`[ghes-ops] Standard output was cut after ${this.maxOutputBytes} bytes.`);
    if (entry.stderr.truncated)
      notes.push(`[ghes-ops] Standard error was cut after ${this.maxOutputBytes} bytes.`);
    if (notes.length)
      stderr = `${stderr}${stderr === '' || stderr.endsWith('\n') ? '' : '\n'}${notes.join('\n')}\n`;
    let status: CommandStatus;
    let exitCode: number;
    if (entry.timedOut) {
      status = 'TimedOut';
      exitCode = TIMEOUT_EXIT_CODE;
    } else if (entry.stopped || exit.code === null) {
      // Stopped by `stopAll`, or killed by a signal from outside.
      status = 'Cancelled';
      exitCode = exit.code ?? 128 + signalNumber(exit.signal);
    } else {
      status = exit.code === 0 ? 'Success' : 'Failed';
      exitCode = exit.code;
    }
    return { status, exitCode, stdout, stderr };
  }

  private evict(): void {
    const now = Date.now();
    for (const [id, entry] of this.running) {
      if (entry.exit && now - entry.exit.at > this.retainFinishedMs) this.running.delete(id);
    }
  }
}

function checkTarget(target: Target): void {
  if (!PATTERNS.host.test(target)) {
    const shown = JSON.stringify(target).slice(0, 80);
    throw new ConfigError(
      `The ssh runner needs a host name or IPv4 address as target (ghes.example.com), got ${shown}.`,
      { target: shown },
    );
  }
}

function timeoutOf(opts: StartOptions): number {
  const t = opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!(t > 0) || t > MAX_TIMEOUT_SECONDS) {
    throw new InputValidationError(
      [
        {
          field: 'timeoutSeconds',
          problem: `must be a number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}, got ${t}`,
        },
      ],
      'command options',
    );
  }
  return t;
}

/** Given options first; defaults only for keywords not given (ssh keeps the first value). */
function mergeOptions(given: string[], defaults: string[]): string[] {
  const keyword = (o: string): string => o.slice(0, o.indexOf('=')).toLowerCase();
  const seen = new Set(given.map(keyword));
  return [...given, ...defaults.filter((d) => !seen.has(keyword(d)))];
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal && SIGNALS[signal]) || 0;
}
