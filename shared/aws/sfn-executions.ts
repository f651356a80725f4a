import type { SFNClient, StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import { ConfigError, InputValidationError } from '../errors.js';
import type { ExecutionState, Executions, StartedExecution } from '../executions/executions.js';
import { isAwsError, maskedAwsError } from './aws-error.js';

/** The SDK module, loaded on the first call: never at import, so a cold start stays small (shared/aws/wiring.ts). */
const sdk = () => import('@aws-sdk/client-sfn');

/** Step Functions limits (characters for error/cause, bytes for input/output). */
const SFN_LIMITS = {
  error: 256,
  cause: 32768,
  payloadBytes: 262144,
  executionName: 80,
} as const;

/** Execution names: 1-80 characters, no whitespace, wildcards, brackets or control characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this pattern refuses
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\0-\x1f\x7f-\x9f]{1,80}$/;

/** Truncates to at most `max` UTF-16 code units without splitting a surrogate pair. */
export function truncate(text: string, max: number, marker = ''): string {
  if (text.length <= max) return text;
  let cut = max - marker.length;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return text.slice(0, Math.max(0, cut)) + marker;
}

/**
 * Step Functions executions. State machines are addressed by key (`support-bundle`); the keys map
 * to ARNs from configuration. Task tokens are treated as secrets: they never appear in errors.
 */
export class SfnExecutions implements Executions {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachines: Record<string, string>,
  ) {}

  async start(stateMachine: string, input: unknown, name?: string): Promise<StartedExecution> {
    const stateMachineArn = this.arn(stateMachine);
    if (name !== undefined && !EXECUTION_NAME.test(name)) {
      throw new InputValidationError(
        [
          {
            field: 'name',
            problem: `${JSON.stringify(name).slice(0, 90)} is not a valid execution name (1-80 characters, no spaces or special characters)`,
          },
        ],
        'execution',
      );
    }
    const json = JSON.stringify(input ?? {});
    checkSize('execution input', json);
    const req: StartExecutionCommandInput = { stateMachineArn, input: json };
    if (name !== undefined) req.name = name;
    try {
      const out = await this.client.send(new (await sdk()).StartExecutionCommand(req));
      return {
        executionArn: out.executionArn ?? '',
        startDate: (out.startDate ?? new Date()).toISOString(),
      };
    } catch (err) {
      throw maskedAwsError(
        err,
        `Starting state machine ${stateMachine}${name ? ` (execution ${name})` : ''} failed`,
        [],
      );
    }
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    const json = JSON.stringify(output ?? null);
    checkSize('task output', json);
    try {
      await this.client.send(new (await sdk()).SendTaskSuccessCommand({ taskToken, output: json }));
    } catch (err) {
      throw maskedAwsError(err, 'Resuming the waiting execution (SendTaskSuccess) failed', [taskToken]);
    }
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    try {
      await this.client.send(
        new (await sdk()).SendTaskFailureCommand({
          taskToken,
          error: truncate(error, SFN_LIMITS.error),
          cause: truncate(cause, SFN_LIMITS.cause, '... [truncated]'),
        }),
      );
    } catch (err) {
      throw maskedAwsError(err, 'Failing the waiting execution (SendTaskFailure) failed', [taskToken]);
    }
  }

  async status(executionArn: string): Promise<ExecutionState> {
    try {
      const out = await this.client.send(new (await sdk()).DescribeExecutionCommand({ executionArn }));
      return out.status ?? 'NOT_FOUND';
    } catch (err) {
      if (isAwsError(err, 'ExecutionDoesNotExist')) return 'NOT_FOUND';
      throw maskedAwsError(err, `Describing execution ${executionArn} failed`, []);
    }
  }

  private arn(key: string): string {
    const arn = Object.hasOwn(this.stateMachines, key) ? this.stateMachines[key] : undefined;
    if (!arn) {
      const known = Object.keys(this.stateMachines);
      throw new ConfigError(
        `Unknown state machine ${JSON.stringify(key)}; configured: ${known.length ? known.join(', ') : 'none'}. ` +
          'Add it to GHES_OPS_STATE_MACHINES (key to ARN) in serverless.yml and redeploy.',
        { stateMachine: key },
      );
    }
    return arn;
  }
}

function checkSize(what: string, json: string): void {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > SFN_LIMITS.payloadBytes) {
    throw new InputValidationError(
      [
        {
          field: what,
          problem: `is ${bytes} bytes of JSON; Step Functions accepts at most ${SFN_LIMITS.payloadBytes}`,
        },
      ],
      what,
    );
  }
}
