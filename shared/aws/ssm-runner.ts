import type {
  GetCommandInvocationCommandOutput,
  SSMClient,
  SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { renderShell, type ApplianceCommand } from '../appliance/command.js';
import type {
  CommandHandle,
  CommandResult,
  CommandRunner,
  CommandStatus,
  PollResult,
  StartOptions,
  Target,
} from '../appliance/runner.js';
import { isoNow, realClock, type Clock } from '../clock.js';
import {
  ApplianceCommandTimeout,
  ApplianceUnreachable,
  ConfigError,
  InputValidationError,
} from '../errors.js';
import { PATTERNS } from '../validate.js';
import { awsErrorName, isAwsError, maskedAwsError } from './aws-error.js';

/** The SDK module, loaded on the first call: never at import, so a cold start stays small (shared/aws/wiring.ts). */
const sdk = () => import('@aws-sdk/client-ssm');

export interface SsmCommandRunnerOptions {
  /** S3 bucket for the full command output (GetCommandInvocation keeps only 24,000 characters). */
  outputS3Bucket?: string;
  /** Key prefix inside the output bucket. */
  outputS3KeyPrefix?: string;
  clock?: Clock;
  /** Pause between GetCommandInvocation calls in `run` (clock milliseconds). Default 2,000. */
  pollIntervalMs?: number;
  /** SendCommand `TimeoutSeconds`: how long SSM tries to deliver the command. Default 600. */
  deliveryTimeoutSeconds?: number;
  /**
   * GetCommandInvocation is eventually consistent: `InvocationDoesNotExist` just after
   * SendCommand means "not yet". After this long (clock milliseconds) it is an error. Default 5 min.
   */
  invocationGraceMs?: number;
}

const SSM_DOCUMENT = 'AWS-RunShellScript';
/** Default `executionTimeout` of AWS-RunShellScript. */
const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 3600;
/** Largest `executionTimeout` AWS-RunShellScript accepts (48 hours). */
const MAX_EXECUTION_TIMEOUT_SECONDS = 172800;
/** GetCommandInvocation returns at most this many characters of stdout, and of stderr. */
const SSM_STDOUT_LIMIT = 24000;
const SSM_STDERR_LIMIT = 8000;
const COMMENT_LIMIT = 100;
/** Extra time `run` allows for delivery, so SSM's own TimedOut result (with output) comes first. */
const RUN_DELIVERY_GRACE_MS = 30_000;

const NOT_DONE = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);
const DONE = new Set<CommandStatus>(['Success', 'Failed', 'TimedOut', 'Cancelled']);
/** StatusDetails meaning the command never reached the agent. */
const UNDELIVERED = new Set(['Undeliverable', 'Terminated', 'DeliveryTimedOut']);

const AGENT_HINT =
  'Check that the instance is running in this account and region and that the SSM agent is installed, ' +
  'running and registered with an instance profile that allows Systems Manager (GHES AMIs do not ship ' +
  'the SSM agent: install it with user data, see the GHES on AWS guide, section AMI).';

/** The programs of a command, without arguments (arguments may carry tokens). */
function programs(cmd: ApplianceCommand): string {
  return cmd.pipeline.map((argv) => argv[0]).join(' | ');
}

/**
 * Runs appliance commands with SSM Run Command (`AWS-RunShellScript`, as root). Targets are EC2
 * instance ids. `start`/`poll` suit the state machine's Wait loop; `run` polls itself and is meant
 * for short commands.
 */
export class SsmCommandRunner implements CommandRunner {
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly deliveryTimeoutSeconds: number;
  private readonly invocationGraceMs: number;
  private readonly bucket: string | undefined;

  constructor(
    private readonly client: SSMClient,
    private readonly opts: SsmCommandRunnerOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.pollIntervalMs = opts.pollIntervalMs ?? 2000;
    this.deliveryTimeoutSeconds = opts.deliveryTimeoutSeconds ?? 600;
    this.invocationGraceMs = opts.invocationGraceMs ?? 5 * 60_000;
    this.bucket = opts.outputS3Bucket?.trim() || undefined;
  }

  async start(target: Target, cmd: ApplianceCommand, opts: StartOptions = {}): Promise<CommandHandle> {
    this.checkTarget(target);
    const timeoutSeconds = executionTimeout(opts);
    const line = renderShell(cmd);
    const input: SendCommandCommandInput = {
      DocumentName: SSM_DOCUMENT,
      InstanceIds: [target],
      Parameters: { commands: [line], executionTimeout: [String(timeoutSeconds)] },
      TimeoutSeconds: this.deliveryTimeoutSeconds,
      Comment: `ghes-ops: ${programs(cmd)}`.slice(0, COMMENT_LIMIT),
    };
    if (this.bucket) {
      input.OutputS3BucketName = this.bucket;
      if (this.opts.outputS3KeyPrefix) input.OutputS3KeyPrefix = this.opts.outputS3KeyPrefix;
    }
    let commandId: string | undefined;
    try {
      const out = await this.client.send(new (await sdk()).SendCommandCommand(input));
      commandId = out.Command?.CommandId;
    } catch (err) {
      if (isAwsError(err, 'InvalidInstanceId')) {
        throw new ApplianceUnreachable(
          `SSM cannot run commands on ${target}: it is not an online managed node (InvalidInstanceId). ${AGENT_HINT}`,
          { target, awsError: 'InvalidInstanceId' },
        );
      }
      // The command line may carry tokens: validation messages that quote it are withheld.
      throw maskedAwsError(err, `SSM SendCommand (${programs(cmd)}) to ${target} failed`, [line]);
    }
    if (!commandId) throw new Error(`SSM SendCommand to ${target} returned no command id`);
    return { target, commandId, command: line, startedAt: isoNow(this.clock) };
  }

  async poll(handle: CommandHandle): Promise<PollResult> {
    let out: GetCommandInvocationCommandOutput;
    try {
      out = await this.client.send(
        new (await sdk()).GetCommandInvocationCommand({
          CommandId: handle.commandId,
          InstanceId: handle.target,
        }),
      );
    } catch (err) {
      return this.pollError(handle, err);
    }
    const status = out.Status ?? 'Pending';
    const details = out.StatusDetails ?? '';
    if (UNDELIVERED.has(details)) {
      throw new ApplianceUnreachable(
        `SSM could not deliver command ${handle.commandId} to ${handle.target} (${details}). ${AGENT_HINT}`,
        { target: handle.target, commandId: handle.commandId, status, statusDetails: details },
      );
    }
    if (NOT_DONE.has(status) || !DONE.has(status as CommandStatus)) return { done: false };
    return { done: true, ...this.result(status as CommandStatus, out) };
  }

  async run(target: Target, cmd: ApplianceCommand, opts: StartOptions = {}): Promise<CommandResult> {
    const limitMs = executionTimeout(opts) * 1000;
    const handle = await this.start(target, cmd, opts);
    const deadline = this.clock.now() + limitMs + RUN_DELIVERY_GRACE_MS;
    for (;;) {
      const polled = await this.poll(handle);
      if (polled.done) {
        const { status, exitCode, stdout, stderr } = polled;
        return { status, exitCode, stdout, stderr };
      }
      const left = deadline - this.clock.now();
      if (left <= 0) break;
      await this.clock.sleep(Math.min(this.pollIntervalMs, left));
    }
    await this.cancel(handle);
    throw new ApplianceCommandTimeout(
      `${programs(cmd)} on ${target} did not finish within ${limitMs / 1000} s (SSM command ${handle.commandId}); ` +
        'it was cancelled. See Systems Manager > Run Command for its status and output.',
      { target, commandId: handle.commandId, timeoutSeconds: limitMs / 1000 },
    );
  }

  private checkTarget(target: Target): void {
    if (!PATTERNS.instanceId.test(target)) {
      const shown = JSON.stringify(target).slice(0, 80);
      throw new ConfigError(
        `The SSM runner needs an EC2 instance id such as i-0123456789abcdef0 as target, got ${shown}. ` +
          'Set GHES_OPS_PRIMARY / GHES_OPS_REPLICA to instance ids (host names work only with the ssh runner).',
        { target: shown },
      );
    }
  }

  private pollError(handle: CommandHandle, err: unknown): PollResult {
    const { target, commandId } = handle;
    if (isAwsError(err, 'InvocationDoesNotExist')) {
      const ageMs = this.clock.now() - Date.parse(handle.startedAt);
      if (!(ageMs > this.invocationGraceMs)) return { done: false };
      throw new ApplianceUnreachable(
        `SSM has no invocation of command ${commandId} on ${target} ${Math.round(ageMs / 1000)} s after it was sent. ` +
          `The command may have expired or the instance may have left Systems Manager. ${AGENT_HINT}`,
        { target, commandId, awsError: 'InvocationDoesNotExist' },
      );
    }
    if (isAwsError(err, 'InvalidInstanceId')) {
      throw new ApplianceUnreachable(
        `SSM no longer knows ${target} as a managed node (InvalidInstanceId) while polling command ${commandId}. ${AGENT_HINT}`,
        { target, commandId, awsError: awsErrorName(err) },
      );
    }
    throw maskedAwsError(err, `SSM GetCommandInvocation for command ${commandId} on ${target} failed`, []);
  }

  private result(status: CommandStatus, out: GetCommandInvocationCommandOutput): CommandResult {
    const stdout = out.StandardOutputContent ?? '';
    let stderr = out.StandardErrorContent ?? '';
    const notes: string[] = [];
    if (stdout.length >= SSM_STDOUT_LIMIT)
      notes.push(this.truncationNote('output', SSM_STDOUT_LIMIT, out.StandardOutputUrl));
    if (stderr.length >= SSM_STDERR_LIMIT)
      notes.push(this.truncationNote('error', SSM_STDERR_LIMIT, out.StandardErrorUrl));
    if (notes.length)
      stderr = `${stderr}${stderr.endsWith('\n') || stderr === '' ? '' : '\n'}${notes.join('\n')}\n`;
    return { status, exitCode: out.ResponseCode ?? -1, stdout, stderr };
  }

  private truncationNote(stream: 'output' | 'error', limit: number, url: string | undefined): string {
    const head = `[ghes-ops] Standard ${stream} was truncated by SSM to its first ${limit.toLocaleString('en-US')} characters;`;
    if (this.bucket)
      return `${head} the full ${stream} is in S3${url ? `: ${url}` : ` bucket ${this.bucket}`}.`;
    return `${head} the full ${stream} is not kept because no output S3 bucket is configured (set GHES_OPS_COMMAND_OUTPUT_BUCKET).`;
  }

  private async cancel(handle: CommandHandle): Promise<void> {
    try {
      await this.client.send(
        new (await sdk()).CancelCommandCommand({ CommandId: handle.commandId, InstanceIds: [handle.target] }),
      );
    } catch {
      /* best effort: the command may have finished meanwhile */
    }
  }
}

function executionTimeout(opts: StartOptions): number {
  const t = opts.timeoutSeconds ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS;
  if (!Number.isInteger(t) || t < 1 || t > MAX_EXECUTION_TIMEOUT_SECONDS) {
    throw new InputValidationError(
      [
        {
          field: 'timeoutSeconds',
          problem: `must be a whole number from 1 to ${MAX_EXECUTION_TIMEOUT_SECONDS}, got ${t}`,
        },
      ],
      'command options',
    );
  }
  return t;
}
