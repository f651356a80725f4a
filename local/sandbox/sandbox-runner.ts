import { renderShell, type ApplianceCommand } from '../../shared/appliance/command.js';
import type {
  CommandHandle,
  CommandResult,
  CommandRunner,
  PollResult,
  StartOptions,
  Target,
} from '../../shared/appliance/runner.js';
import { ApplianceCommandTimeout } from '../../shared/errors.js';
import type { Sandbox } from './sandbox.js';

export interface SandboxRunnerOptions {
  /** Virtual seconds between polls in `run` (default 1). */
  pollIntervalSeconds?: number;
  /** How long `run` waits when the call gives no `timeoutSeconds` (virtual seconds, default 600). */
  runTimeoutSeconds?: number;
}

/**
 * `CommandRunner` over the sandbox. It sends exactly what a real runner sends, the line from
 * `renderShell`, and the sandbox parses that line back: the quoting is proven end to end.
 */
export class SandboxRunner implements CommandRunner {
  private readonly pollMs: number;
  private readonly runTimeoutSeconds: number;

  constructor(
    private readonly sandbox: Sandbox,
    opts: SandboxRunnerOptions = {},
  ) {
    this.pollMs = (opts.pollIntervalSeconds ?? 1) * 1000;
    this.runTimeoutSeconds = opts.runTimeoutSeconds ?? 600;
    if (!(this.pollMs > 0) || !(this.runTimeoutSeconds > 0))
      throw new RangeError('sandbox runner intervals must be positive');
  }

  async start(target: Target, cmd: ApplianceCommand, opts: StartOptions = {}): Promise<CommandHandle> {
    return this.sandbox.startLine(target, renderShell(cmd), opts);
  }

  async poll(handle: CommandHandle): Promise<PollResult> {
    return this.sandbox.poll(handle);
  }

  /** Start, then poll on the clock until done; `ApplianceCommandTimeout` past the time limit. */
  async run(target: Target, cmd: ApplianceCommand, opts: StartOptions = {}): Promise<CommandResult> {
    const clock = this.sandbox.clock;
    const limit = opts.timeoutSeconds ?? this.runTimeoutSeconds;
    const handle = await this.start(target, cmd, { ...opts, timeoutSeconds: limit });
    const deadline = clock.now() + limit * 1000;
    for (;;) {
      const pastDeadline = clock.now() >= deadline;
      const result = await this.poll(handle);
      if (result.done) {
        const { status, exitCode, stdout, stderr } = result;
        if (status === 'TimedOut') throw this.timeout(handle, limit, stdout, stderr);
        return { status, exitCode, stdout, stderr };
      }
      if (pastDeadline) {
        // Still running after the limit: stop it, as closing the SSH session would, and keep its output.
        this.sandbox.cancel(handle);
        const stopped = await this.poll(handle);
        throw stopped.done
          ? this.timeout(handle, limit, stopped.stdout, stopped.stderr)
          : this.timeout(handle, limit, '', '');
      }
      await clock.sleep(Math.max(0, Math.min(this.pollMs, deadline - clock.now())));
    }
  }

  private timeout(
    handle: CommandHandle,
    limit: number,
    stdout: string,
    stderr: string,
  ): ApplianceCommandTimeout {
    return new ApplianceCommandTimeout(
      `${handle.command} did not finish on ${handle.target} within ${limit} s and was stopped. ` +
        `Run it on the appliance by hand to see how long it takes, or allow more time.`,
      {
        target: handle.target,
        command: handle.command,
        timeoutSeconds: limit,
        stdout: stdout.slice(-2000),
        stderr: stderr.slice(-2000),
      },
    );
  }
}
