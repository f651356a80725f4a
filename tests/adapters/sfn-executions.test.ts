import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  ExecutionAlreadyExists,
  InvalidToken,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ConfigError, InputValidationError } from '../../shared/errors.js';
import { SfnExecutions, truncate } from '../../shared/aws/sfn-executions.js';
import { failure } from '../helpers/failure.js';

const sfn = mockClient(SFNClient);
const meta = { $metadata: {} };
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ghes-ops-dev-support-bundle';
const MACHINES = { 'support-bundle': ARN, failover: `${ARN}-failover` };
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfakeTaskToken0123456789';

beforeEach(() => {
  sfn.reset();
});

describe('SfnExecutions.start', () => {
  it('starts the state machine of the key with JSON input and the name', async () => {
    sfn.on(StartExecutionCommand).resolves({
      executionArn:
        'arn:aws:states:eu-west-1:123456789012:execution:ghes-ops-dev-support-bundle:ticket-1234567',
      startDate: new Date('2025-03-01T10:00:00Z'),
    });
    const executions = new SfnExecutions(new SFNClient({}), MACHINES);

    const started = await executions.start(
      'support-bundle',
      { ticket: '1234567', period: '2days' },
      'ticket-1234567',
    );

    expect(started).toEqual({
      executionArn:
        'arn:aws:states:eu-west-1:123456789012:execution:ghes-ops-dev-support-bundle:ticket-1234567',
      startDate: '2025-03-01T10:00:00.000Z',
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      input: '{"ticket":"1234567","period":"2days"}',
      name: 'ticket-1234567',
    });
  });

  it('leaves the name out when none is given', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: 'arn:x', startDate: new Date('2025-03-01T10:00:00Z') });
    await new SfnExecutions(new SFNClient({}), MACHINES).start('failover', undefined);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: `${ARN}-failover`,
      input: '{}',
    });
  });

  it('refuses an unknown key with a ConfigError listing the known ones', async () => {
    const err = await failure(new SfnExecutions(new SFNClient({}), MACHINES).start('suport-bundle', {}));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(
      'Unknown state machine "suport-bundle"; configured: support-bundle, failover',
    );
    const proto = await failure(new SfnExecutions(new SFNClient({}), MACHINES).start('toString', {}));
    expect(proto).toBeInstanceOf(ConfigError);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('refuses execution names Step Functions would reject', async () => {
    const err = await failure(
      new SfnExecutions(new SFNClient({}), MACHINES).start('failover', {}, 'has space'),
    );
    expect(err).toBeInstanceOf(InputValidationError);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('passes ExecutionAlreadyExists on with its name', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', ...meta }));
    const err = await failure(
      new SfnExecutions(new SFNClient({}), MACHINES).start('failover', { a: 1 }, 'run-1'),
    );
    expect(err.name).toBe('ExecutionAlreadyExists');
    expect(err.message).toContain('Starting state machine failover (execution run-1) failed');
  });
});

describe('SfnExecutions task tokens', () => {
  it('sends task success with JSON output', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    await new SfnExecutions(new SFNClient({}), MACHINES).sendTaskSuccess(TOKEN, {
      approved: true,
      by: 'ops@example.com',
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: '{"approved":true,"by":"ops@example.com"}',
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: TOKEN,
      output: '{"approved":true,"by":"ops@example.com"}',
    });
  });

  it('refuses output over 256 KB before calling Step Functions', async () => {
    const err = await failure(
      new SfnExecutions(new SFNClient({}), MACHINES).sendTaskSuccess(TOKEN, { blob: 'x'.repeat(262144) }),
    );
    expect(err).toBeInstanceOf(InputValidationError);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('sends task failure with error and cause', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    await new SfnExecutions(new SFNClient({}), MACHINES).sendTaskFailure(
      TOKEN,
      'Rejected',
      'ops@example.com said no',
    );
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({
      taskToken: TOKEN,
      error: 'Rejected',
      cause: 'ops@example.com said no',
    });
  });

  it('truncates error to 256 and cause to 32768 characters', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    await new SfnExecutions(new SFNClient({}), MACHINES).sendTaskFailure(
      TOKEN,
      'E'.repeat(300),
      'c'.repeat(40000),
    );
    const input = sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(input).toEqual({
      taskToken: TOKEN,
      error: 'E'.repeat(256),
      cause: 'c'.repeat(32768 - '... [truncated]'.length) + '... [truncated]',
    });
    expect(input?.cause).toHaveLength(32768);
  });

  it('never puts the task token in an error', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new InvalidToken({ message: `Invalid token: ${TOKEN}`, ...meta }));
    const err = await failure(new SfnExecutions(new SFNClient({}), MACHINES).sendTaskSuccess(TOKEN, {}));
    expect(err.name).toBe('InvalidToken');
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).toContain('SendTaskSuccess');
  });
});

describe('truncate', () => {
  it('does not split a surrogate pair', () => {
    expect(truncate('ab😀', 3)).toBe('ab');
    expect(truncate('abc', 3)).toBe('abc');
  });
});
