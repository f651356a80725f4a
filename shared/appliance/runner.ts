import type { ApplianceCommand } from './command.js';

/**
 * Where a command runs: an EC2 instance id (SSM Run Command), a host name (SSH on port 122), or a
 * sandbox appliance name. Validated by `validateTarget` in `shared/validate.ts`.
 */
export type Target = string;

export type CommandStatus = 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';

export interface CommandResult {
  status: CommandStatus;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** JSON-serializable reference to a started command: it travels through the state machine. */
export interface CommandHandle {
  target: Target;
  commandId: string;
  /** The rendered command line, for notifications. */
  command: string;
  startedAt: string;
}

export type PollResult = { done: false } | ({ done: true } & CommandResult);

export interface StartOptions {
  /** Limit for the command on the appliance itself (SSM executionTimeout, ssh kill). */
  timeoutSeconds?: number;
}

/**
 * Runs commands on an appliance. `start` returns at once; long commands are polled by the state
 * machine with Wait states, never by a sleeping Lambda. `run` is for short commands only.
 *
 * Errors: `ApplianceUnreachable` when the target cannot be reached, `ApplianceCommandTimeout` when
 * `run` gives up. A non-zero exit is a result, not an error: callers decide what it means.
 */
export interface CommandRunner {
  start(target: Target, cmd: ApplianceCommand, opts?: StartOptions): Promise<CommandHandle>;
  poll(handle: CommandHandle): Promise<PollResult>;
  run(target: Target, cmd: ApplianceCommand, opts?: StartOptions): Promise<CommandResult>;
}
