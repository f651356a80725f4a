import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  InvalidInstanceId,
  InvocationDoesNotExist,
  SSMClient,
  SSMServiceException,
  SendCommandCommand,
  type GetCommandInvocationCommandOutput,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { command, pipe } from '../../shared/appliance/command.js';
import type { CommandHandle } from '../../shared/appliance/runner.js';
import {
  ApplianceCommandTimeout,
  ApplianceUnreachable,
  ConfigError,
  InputValidationError,
} from '../../shared/errors.js';
import { SsmCommandRunner } from '../../shared/aws/ssm-runner.js';
import { fakeClock } from './fake-clock.js';
import { failure } from '../helpers/failure.js';

const ssm = mockClient(SSMClient);
const INSTANCE = 'i-0123456789abcdef0';
const COMMAND_ID = '0d6f4c5e-1b2a-4c3d-9e8f-0123456789ab';
const meta = { $metadata: {} };

function fixture(name: string): GetCommandInvocationCommandOutput {
  const url = new URL(`../fixtures/aws/${name}.json`, import.meta.url);
  return {
    ...(JSON.parse(readFileSync(url, 'utf8')) as object),
    $metadata: {},
  };
}

function handle(clock: { now(): number }, over: Partial<CommandHandle> = {}): CommandHandle {
  return {
    target: INSTANCE,
    commandId: COMMAND_ID,
    command: 'ghe-repl-status',
    startedAt: new Date(clock.now()).toISOString(),
    ...over,
  };
}

beforeEach(() => {
  ssm.reset();
});

describe('SsmCommandRunner.start', () => {
  it('sends AWS-RunShellScript with the quoted command line and returns a handle', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
    const clock = fakeClock();
    const runner = new SsmCommandRunner(new SSMClient({}), { clock });

    const h = await runner.start(INSTANCE, command('ghe-support-bundle', '-p', '2days', '-t', "12'34 567"), {
      timeoutSeconds: 7200,
    });

    expect(ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    expect(ssm.commandCalls(SendCommandCommand)[0]?.args[0].input).toEqual({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [INSTANCE],
      Parameters: {
        commands: ["ghe-support-bundle -p 2days -t '12'\\''34 567'"],
        executionTimeout: ['7200'],
      },
      TimeoutSeconds: 600,
      Comment: 'ghes-ops: ghe-support-bundle',
    });
    expect(h).toEqual({
      target: INSTANCE,
      commandId: COMMAND_ID,
      command: "ghe-support-bundle -p 2days -t '12'\\''34 567'",
      startedAt: '2025-03-01T10:00:00.000Z',
    });
  });

  it('defaults executionTimeout to 3600 s and adds the output bucket when configured', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
    const runner = new SsmCommandRunner(new SSMClient({}), {
      outputS3Bucket: 'ghes-ops-output',
      outputS3KeyPrefix: 'commands/',
      deliveryTimeoutSeconds: 120,
    });

    await runner.start(
      INSTANCE,
      pipe(['ghe-repl-status', '-vv'], ['ghe-support-upload', '-t', '1234567', '-d', 'repl status']),
    );

    expect(ssm).toHaveReceivedCommandWith(SendCommandCommand, {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [INSTANCE],
      Parameters: {
        commands: ["ghe-repl-status -vv | ghe-support-upload -t 1234567 -d 'repl status'"],
        executionTimeout: ['3600'],
      },
      TimeoutSeconds: 120,
      Comment: 'ghes-ops: ghe-repl-status | ghe-support-upload',
      OutputS3BucketName: 'ghes-ops-output',
      OutputS3KeyPrefix: 'commands/',
    });
  });

  it('treats an empty bucket setting as none and keeps the comment within 100 characters', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
    const runner = new SsmCommandRunner(new SSMClient({}), { outputS3Bucket: '' });
    const long = pipe(...Array.from({ length: 8 }, () => ['ghe-cluster-support-bundle', '-o']));

    await runner.start(INSTANCE, long);

    const input = ssm.commandCalls(SendCommandCommand)[0]?.args[0].input;
    expect(input?.OutputS3BucketName).toBeUndefined();
    expect(input?.Comment).toHaveLength(100);
    expect(input?.Comment?.startsWith('ghes-ops: ghe-cluster-support-bundle | ')).toBe(true);
    expect(input?.Comment).not.toContain(' -o');
  });

  it('refuses host names: the SSM runner needs instance ids', async () => {
    const runner = new SsmCommandRunner(new SSMClient({}));
    const err = await failure(runner.start('ghes.example.com', command('ghe-repl-status')));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('EC2 instance id');
    expect(err.message).toContain('"ghes.example.com"');
    expect(ssm).toHaveReceivedCommandTimes(SendCommandCommand, 0);
  });

  it('refuses an executionTimeout SSM would reject', async () => {
    const runner = new SsmCommandRunner(new SSMClient({}));
    const err = await failure(runner.start(INSTANCE, command('ghe-repl-status'), { timeoutSeconds: 200000 }));
    expect(err).toBeInstanceOf(InputValidationError);
    expect(ssm).toHaveReceivedCommandTimes(SendCommandCommand, 0);
  });

  it('maps InvalidInstanceId to ApplianceUnreachable with the SSM agent hint', async () => {
    ssm
      .on(SendCommandCommand)
      .rejects(new InvalidInstanceId({ message: 'Instances not in a valid state', ...meta }));
    const runner = new SsmCommandRunner(new SSMClient({}));
    const err = await failure(runner.start(INSTANCE, command('ghe-repl-status')));
    expect(err).toBeInstanceOf(ApplianceUnreachable);
    expect(err.name).toBe('ApplianceUnreachable');
    expect(err.message).toContain(INSTANCE);
    expect(err.message).toContain('SSM agent');
    expect(err.message).toContain('GHES AMIs do not ship the SSM agent');
  });

  it('keeps the AWS error name but withholds validation details that may quote the command', async () => {
    const line = 'actions-sync sync --destination-token ghp_secretsecretsecret';
    ssm.on(SendCommandCommand).rejects(
      new SSMServiceException({
        name: 'ValidationException',
        $fault: 'client',
        message: `Value '${line}' at 'parameters' failed to satisfy constraint`,
        ...meta,
      }),
    );
    const runner = new SsmCommandRunner(new SSMClient({}));
    const err = await failure(
      runner.start(
        INSTANCE,
        command('actions-sync', 'sync', '--destination-token', 'ghp_secretsecretsecret'),
      ),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toContain('SSM SendCommand (actions-sync)');
    expect(err.message).not.toContain('ghp_secret');
  });
});

describe('SsmCommandRunner.poll', () => {
  it('asks GetCommandInvocation for the command on the instance', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(fixture('get-command-invocation-success'));
    const clock = fakeClock();
    const runner = new SsmCommandRunner(new SSMClient({}), { clock });

    const result = await runner.poll(handle(clock));

    expect(ssm.commandCalls(GetCommandInvocationCommand)[0]?.args[0].input).toEqual({
      CommandId: COMMAND_ID,
      InstanceId: INSTANCE,
    });
    expect(result).toEqual({
      done: true,
      status: 'Success',
      exitCode: 0,
      stdout:
        'OK: mysql replication in sync\nOK: redis replication is in sync\nOK: elasticsearch cluster is in sync\n' +
        'OK: git data is in sync (366 repos, 31 wikis, 851 gists)\nOK: pages data is in sync\n',
      stderr: '',
    });
  });

  it('reports a non-zero exit as a result', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(fixture('get-command-invocation-failed'));
    const clock = fakeClock();
    const result = await new SsmCommandRunner(new SSMClient({}), { clock }).poll(handle(clock));
    expect(result).toEqual({
      done: true,
      status: 'Failed',
      exitCode: 2,
      stdout:
        'OK: mysql replication in sync\nCRITICAL: git replication is behind the primary by 150 repositories and/or gists\n',
      stderr: 'failed to run commands: exit status 2',
    });
  });

  it.each(['Pending', 'InProgress', 'Delayed', 'Cancelling'] as const)('%s is not done', async (Status) => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status, StatusDetails: Status, ResponseCode: -1 });
    const clock = fakeClock();
    expect(await new SsmCommandRunner(new SSMClient({}), { clock }).poll(handle(clock))).toEqual({
      done: false,
    });
  });

  it.each([
    ['TimedOut', 'ExecutionTimedOut', 124],
    ['Cancelled', 'Cancelled', -1],
  ] as const)('%s (%s) is done', async (Status, StatusDetails, ResponseCode) => {
    ssm.on(GetCommandInvocationCommand).resolves({
      Status,
      StatusDetails,
      ResponseCode,
      StandardOutputContent: 'partial',
      StandardErrorContent: '',
    });
    const clock = fakeClock();
    expect(await new SsmCommandRunner(new SSMClient({}), { clock }).poll(handle(clock))).toEqual({
      done: true,
      status: Status,
      exitCode: ResponseCode,
      stdout: 'partial',
      stderr: '',
    });
  });

  it.each([
    ['Failed', 'Undeliverable'],
    ['Failed', 'Terminated'],
    ['TimedOut', 'DeliveryTimedOut'],
  ] as const)(
    '%s/%s throws ApplianceUnreachable pointing at the SSM agent',
    async (Status, StatusDetails) => {
      ssm
        .on(GetCommandInvocationCommand)
        .resolves({ ...fixture('get-command-invocation-undeliverable'), Status, StatusDetails });
      const clock = fakeClock();
      const err = await failure(new SsmCommandRunner(new SSMClient({}), { clock }).poll(handle(clock)));
      expect(err).toBeInstanceOf(ApplianceUnreachable);
      expect(err.message).toContain(`(${StatusDetails})`);
      expect(err.message).toContain('SSM agent');
    },
  );

  it('treats InvocationDoesNotExist just after SendCommand as not done, later as unreachable', async () => {
    ssm.on(GetCommandInvocationCommand).rejects(new InvocationDoesNotExist({ message: '', ...meta }));
    const clock = fakeClock();
    const runner = new SsmCommandRunner(new SSMClient({}), { clock, invocationGraceMs: 60_000 });
    const h = handle(clock);

    clock.advance(2_000);
    expect(await runner.poll(h)).toEqual({ done: false });

    clock.advance(60_000);
    const err = await failure(runner.poll(h));
    expect(err).toBeInstanceOf(ApplianceUnreachable);
    expect(err.message).toContain('62 s after it was sent');
  });

  it('maps InvalidInstanceId while polling to ApplianceUnreachable', async () => {
    ssm.on(GetCommandInvocationCommand).rejects(new InvalidInstanceId({ message: 'not managed', ...meta }));
    const clock = fakeClock();
    const err = await failure(new SsmCommandRunner(new SSMClient({}), { clock }).poll(handle(clock)));
    expect(err).toBeInstanceOf(ApplianceUnreachable);
    expect(err.message).toContain('SSM agent');
  });

  it('says when SSM truncated the output and no bucket is configured', async () => {
    const stdout = 'x'.repeat(24000);
    ssm.on(GetCommandInvocationCommand).resolves({
      Status: 'Success',
      StatusDetails: 'Success',
      ResponseCode: 0,
      StandardOutputContent: stdout,
      StandardErrorContent: 'warning: slow',
    });
    const clock = fakeClock();
    const result = await new SsmCommandRunner(new SSMClient({}), { clock }).poll(handle(clock));
    expect(result).toEqual({
      done: true,
      status: 'Success',
      exitCode: 0,
      stdout,
      stderr:
        'warning: slow\n[ghes-ops] Standard output was truncated by SSM to its first 24,000 characters; the full ' +
        'output is not kept because no output S3 bucket is configured (set GHES_OPS_COMMAND_OUTPUT_BUCKET).\n',
    });
  });

  it('points at the S3 copy when a bucket is configured', async () => {
    const url =
      'https://s3.eu-west-1.amazonaws.com/ghes-ops-output/id/i-0123456789abcdef0/awsrunShellScript/0.awsrunShellScript/stdout';
    ssm.on(GetCommandInvocationCommand).resolves({
      Status: 'Success',
      ResponseCode: 0,
      StandardOutputContent: 'y'.repeat(24000),
      StandardOutputUrl: url,
    });
    const clock = fakeClock();
    const runner = new SsmCommandRunner(new SSMClient({}), { clock, outputS3Bucket: 'ghes-ops-output' });
    const result = await runner.poll(handle(clock));
    expect(result.done && result.stderr).toBe(
      `[ghes-ops] Standard output was truncated by SSM to its first 24,000 characters; the full output is in S3: ${url}.\n`,
    );
  });
});

describe('SsmCommandRunner.run', () => {
  it('polls with the clock until the command is done', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
    ssm
      .on(GetCommandInvocationCommand)
      .rejectsOnce(new InvocationDoesNotExist({ message: '', ...meta }))
      .resolvesOnce({ Status: 'Pending', ResponseCode: -1 })
      .resolvesOnce({ Status: 'InProgress', ResponseCode: -1 })
      .resolves(fixture('get-command-invocation-success'));
    const clock = fakeClock();
    const runner = new SsmCommandRunner(new SSMClient({}), { clock, pollIntervalMs: 1500 });

    const result = await runner.run(INSTANCE, command('ghe-repl-status'), { timeoutSeconds: 60 });

    expect(result.status).toBe('Success');
    expect(result).not.toHaveProperty('done');
    expect(ssm).toHaveReceivedCommandTimes(GetCommandInvocationCommand, 4);
    expect(clock.sleeps).toEqual([1500, 1500, 1500]);
  });

  it('cancels the command and throws ApplianceCommandTimeout when it does not finish in time', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress', ResponseCode: -1 });
    ssm.on(CancelCommandCommand).resolves({});
    const clock = fakeClock();
    const runner = new SsmCommandRunner(new SSMClient({}), { clock, pollIntervalMs: 10_000 });

    const err = await failure(runner.run(INSTANCE, command('ghe-repl-status'), { timeoutSeconds: 60 }));

    expect(err).toBeInstanceOf(ApplianceCommandTimeout);
    expect(err.message).toContain('did not finish within 60 s');
    expect(err.message).toContain(COMMAND_ID);
    expect(ssm).toHaveReceivedCommandWith(CancelCommandCommand, {
      CommandId: COMMAND_ID,
      InstanceIds: [INSTANCE],
    });
    // 60 s limit + 30 s delivery grace, in 10 s steps.
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(90_000);
  });
});
