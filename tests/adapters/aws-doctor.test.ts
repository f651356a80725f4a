/**
 * `ghes-ops aws doctor` and `ghes-ops aws redrive` at the AWS SDK command level: the real CLI
 * command with the real SDK clients, their commands answered by aws-sdk-client-mock. One healthy
 * deployment, then each check failing on its own, with the exact requests asserted.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { CloudFormationClient, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeActiveReceiptRuleSetCommand, SESClient, SESServiceException } from '@aws-sdk/client-ses';
import {
  DescribeInstanceInformationCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersCommand,
  SSMClient,
  SSMServiceException,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { awsCommand, type AwsClients } from '../../local/cli/aws.js';
import { parseSesEvent } from '../../shared/service-desk/ses-event.js';
import { failure } from '../helpers/failure.js';

const lambda = mockClient(LambdaClient);
const ssm = mockClient(SSMClient);
const ses = mockClient(SESClient);
const scheduler = mockClient(SchedulerClient);
const iam = mockClient(IAMClient);
const cfn = mockClient(CloudFormationClient);
const meta = { $metadata: {} };

const STAGE = 'prod';
const REGION = 'ap-northeast-2';
const PREFIX = '/ghes-ops/prod';
const KEY = 'arn:aws:kms:ap-northeast-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const PROBE = 'ghes-ops-prod-deployProbe';
const RECEIVE = 'ghes-ops-prod-serviceDeskReceive';
const SCHEDULE = 'ghes-ops-prod-ActionsSyncWatchUpgradeSchedulerSchedule1-1A2B3C';
const WATCH_ARN = 'arn:aws:lambda:ap-northeast-2:111122223333:function:ghes-ops-prod-actionsSyncWatchUpgrade';
const SCHEDULE_ROLE = 'arn:aws:iam::111122223333:role/ghes-ops-prod-ActionsSyncWatchUpgradeScheduleRo-XYZ';
const DESK = { local: 'support', domain: 'desk.example.com', projects: [] };
const ENV = {
  GHES_OPS_PRIMARY: 'i-0aaaaaaaaaaaaaaa1',
  GHES_OPS_REPLICA: 'i-0bbbbbbbbbbbbbbb2',
  GHES_OPS_PARAMETER_PREFIX: PREFIX,
  GHES_OPS_GHES_URL: 'https://ghes.example.com',
  GHES_OPS_SERVICE_DESK: JSON.stringify(DESK),
  GHES_OPS_KMS_KEY_ID: KEY,
};
const SECRETS = [
  `${PREFIX}/actions-sync/token`,
  `${PREFIX}/service-desk/github-token`,
  `${PREFIX}/service-desk/webhook-secret`,
  `${PREFIX}/service-desk/admin-token`,
];
const APP = ['app-id', 'private-key', 'webhook-secret'].map((f) => `${PREFIX}/github-app/credentials/${f}`);

const payload = (value: unknown): never => new TextEncoder().encode(JSON.stringify(value)) as never;
const trust = (service: string): string =>
  encodeURIComponent(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
    }),
  );

const roleTrusting = (service: string) => ({
  Role: {
    RoleName: 'r',
    Arn: SCHEDULE_ROLE,
    Path: '/',
    RoleId: 'AROA',
    CreateDate: new Date(0),
    AssumeRolePolicyDocument: trust(service),
  },
});

function healthy(): void {
  for (const m of [lambda, ssm, ses, scheduler, iam, cfn]) m.reset();
  lambda.on(GetFunctionConfigurationCommand).resolves({ Environment: { Variables: ENV } });
  lambda.on(InvokeCommand, { FunctionName: PROBE }).resolves({
    StatusCode: 200,
    Payload: payload({ probes: [{ host: 'ghes.example.com', result: { code: 200 } }] }),
  });
  ssm.on(DescribeInstanceInformationCommand).resolves({
    InstanceInformationList: [
      { InstanceId: ENV.GHES_OPS_PRIMARY, PingStatus: 'Online' },
      { InstanceId: ENV.GHES_OPS_REPLICA, PingStatus: 'Online' },
    ],
  });
  ssm.on(DescribeParametersCommand).resolves({
    Parameters: SECRETS.map((Name) => ({ Name, Type: 'SecureString', KeyId: KEY })),
  });
  ses.on(DescribeActiveReceiptRuleSetCommand).resolves({ Metadata: { Name: 'ghes-ops-prod-service-desk' } });
  cfn.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: [
      {
        LogicalResourceId: 'ActionsSyncWatchUpgradeSchedulerSchedule1',
        PhysicalResourceId: SCHEDULE,
        ResourceType: 'AWS::Scheduler::Schedule',
        ResourceStatus: 'CREATE_COMPLETE',
        LastUpdatedTimestamp: new Date(0),
      },
      {
        LogicalResourceId: 'RecordsTable',
        PhysicalResourceId: 'ghes-ops-prod-records',
        ResourceType: 'AWS::DynamoDB::Table',
        ResourceStatus: 'CREATE_COMPLETE',
        LastUpdatedTimestamp: new Date(0),
      },
    ],
  });
  scheduler
    .on(GetScheduleCommand)
    .resolves({ Name: SCHEDULE, State: 'ENABLED', Target: { Arn: WATCH_ARN, RoleArn: SCHEDULE_ROLE } });
  iam.on(GetRoleCommand).resolves(roleTrusting('scheduler.amazonaws.com'));
  iam.on(SimulatePrincipalPolicyCommand).resolves({
    EvaluationResults: [{ EvalActionName: 'lambda:InvokeFunction', EvalDecision: 'allowed' }],
  });
}

const clients = async (): Promise<AwsClients> => ({
  lambda: new LambdaClient({ region: REGION }),
  ssm: new SSMClient({ region: REGION }),
  ses: new SESClient({ region: REGION }),
  scheduler: new SchedulerClient({ region: REGION }),
  iam: new IAMClient({ region: REGION }),
  cloudformation: new CloudFormationClient({ region: REGION }),
});

async function doctor(): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await awsCommand(['doctor', '--stage', STAGE, '--region', REGION], {
    out: (l) => lines.push(l),
    clients,
  });
  return { code, out: lines.join('\n') };
}

/** The checklist line of a check and the fix under it. */
const failed = (out: string, name: string): string => {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => l.startsWith('[FAIL]') && l.includes(name));
  expect({ name, found: i >= 0, out }).toMatchObject({ name, found: true });
  return `${lines[i]}\n${lines[i + 1] ?? ''}`;
};

beforeEach(healthy);

describe('ghes-ops aws doctor', () => {
  it('passes a healthy deployment, reading names and metadata only, never a parameter value', async () => {
    const { code, out } = await doctor();
    expect(out).not.toContain('[FAIL]');
    expect(out).toContain('all 10 checks passed');
    expect(code).toBe(0);
    expect(lambda).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, { FunctionName: PROBE });
    expect(ssm).toHaveReceivedCommandWith(DescribeInstanceInformationCommand, {
      Filters: [{ Key: 'InstanceIds', Values: [ENV.GHES_OPS_PRIMARY, ENV.GHES_OPS_REPLICA] }],
    });
    const names = ssm.commandCalls(DescribeParametersCommand)[0]!.args[0].input.ParameterFilters;
    expect(names).toEqual([
      { Key: 'Name', Option: 'Equals', Values: [...SECRETS.slice(0, 1), ...APP, ...SECRETS.slice(1)] },
    ]);
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
    expect(ssm).not.toHaveReceivedCommand(GetParametersCommand);
    expect(cfn).toHaveReceivedCommandWith(ListStackResourcesCommand, { StackName: 'ghes-ops-prod' });
    expect(scheduler).toHaveReceivedCommandTimes(GetScheduleCommand, 1);
    expect(iam).toHaveReceivedCommandWith(GetRoleCommand, {
      RoleName: 'ghes-ops-prod-ActionsSyncWatchUpgradeScheduleRo-XYZ',
    });
    expect(iam).toHaveReceivedCommandWith(SimulatePrincipalPolicyCommand, {
      PolicySourceArn: SCHEDULE_ROLE,
      ActionNames: ['lambda:InvokeFunction'],
      ResourceArns: [WATCH_ARN],
    });
    const invoke = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect({ ...invoke, Payload: new TextDecoder().decode(invoke.Payload as Uint8Array) }).toEqual({
      FunctionName: PROBE,
      InvocationType: 'RequestResponse',
      Payload: '{}',
    });
  });

  it('fails when the stage is not deployed in the region, and checks nothing else', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(new ResourceNotFoundException({ message: 'Function not found', ...meta }));
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, 'deployment')).toContain('npx osls deploy --stage prod --region ap-northeast-2');
    expect(ssm).not.toHaveReceivedCommand(DescribeInstanceInformationCommand);
  });

  it('fails an appliance that is not registered with SSM or lost its connection', async () => {
    ssm.on(DescribeInstanceInformationCommand).resolves({
      InstanceInformationList: [{ InstanceId: ENV.GHES_OPS_REPLICA, PingStatus: 'ConnectionLost' }],
    });
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, `appliance ${ENV.GHES_OPS_PRIMARY}`)).toMatch(
      /not registered.*\n.*AmazonSSMManagedInstanceCore/,
    );
    expect(failed(out, `appliance ${ENV.GHES_OPS_REPLICA}`)).toMatch(
      /PingStatus ConnectionLost\n.*amazon-ssm-agent/,
    );
  });

  it('fails a missing SecureString, naming it and the command that creates it', async () => {
    ssm.on(DescribeParametersCommand).resolves({
      Parameters: SECRETS.filter((n) => !n.endsWith('webhook-secret')).map((Name) => ({
        Name,
        Type: 'SecureString',
        KeyId: KEY,
      })),
    });
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, 'webhook secret')).toMatch(
      new RegExp(
        `missing: ${PREFIX}/service-desk/webhook-secret\\n.*aws ssm put-parameter --type SecureString`,
      ),
    );
  });

  it('accepts the GitHub App credentials instead of the tokens', async () => {
    ssm.on(DescribeParametersCommand).resolves({
      Parameters: [...APP, ...SECRETS.slice(2)].map((Name) => ({ Name, Type: 'SecureString', KeyId: KEY })),
    });
    const { code, out } = await doctor();
    expect(out).not.toContain('[FAIL]');
    expect(code).toBe(0);
  });

  it('fails a secret stored as a plain String, or with another key than the deployment', async () => {
    ssm.on(DescribeParametersCommand).resolves({
      Parameters: SECRETS.map((Name, i) => ({
        Name,
        Type: i === 0 ? 'String' : 'SecureString',
        KeyId: i === 1 ? 'alias/aws/ssm' : KEY,
      })),
    });
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, 'actions-sync')).toMatch(/not SecureString: .*actions-sync\/token\n.*re-create/);
    expect(failed(out, 'service desk (GHES token)')).toMatch(
      /not encrypted with the deployment's key.*\n.*--key-id/,
    );
  });

  it('fails when the desk rule set is not the active one', async () => {
    ses.on(DescribeActiveReceiptRuleSetCommand).resolves({ Metadata: { Name: 'legacy-rules' } });
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, 'SES receipt rule set active')).toMatch(
      /the active rule set is legacy-rules\n.*aws ses set-active-receipt-rule-set --rule-set-name ghes-ops-prod-service-desk --region ap-northeast-2/,
    );
  });

  it('fails when SES does not receive mail in the region', async () => {
    ses.on(DescribeActiveReceiptRuleSetCommand).rejects(
      new SESServiceException({
        name: 'InvalidAction',
        $fault: 'client',
        message: 'Unavailable Operation',
        ...meta,
      }),
    );
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, 'SES receives mail')).toMatch(/InvalidAction.*\n.*receiving regions/);
  });

  it("fails a schedule whose role does not trust the scheduler (the function's own Lambda role)", async () => {
    iam.on(GetRoleCommand).resolves(roleTrusting('lambda.amazonaws.com'));
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, `schedule ${SCHEDULE}`)).toMatch(/does not trust scheduler.amazonaws.com\n.*redeploy/);
    expect(iam).not.toHaveReceivedCommand(SimulatePrincipalPolicyCommand);
  });

  it('fails a schedule whose role may not invoke its target', async () => {
    iam.on(SimulatePrincipalPolicyCommand).resolves({
      EvaluationResults: [{ EvalActionName: 'lambda:InvokeFunction', EvalDecision: 'implicitDeny' }],
    });
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, `schedule ${SCHEDULE}`)).toContain(`may not lambda:InvokeFunction on ${WATCH_ARN}`);
  });

  it('fails when the probe cannot reach GHES from the functions network', async () => {
    lambda.on(InvokeCommand, { FunctionName: PROBE }).resolves({
      StatusCode: 200,
      Payload: payload({ probes: [{ host: 'ghes.example.com', result: { unreachable: 'ETIMEDOUT' } }] }),
    });
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, 'https://ghes.example.com/status')).toMatch(
      /unreachable \(ETIMEDOUT\)\n.*allow HTTPS \(443\) from the vpcSecurityGroupIds/,
    );
  });

  it('fails when the probe function itself fails', async () => {
    lambda.on(InvokeCommand, { FunctionName: PROBE }).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({
        errorType: 'Runtime.ExitError',
        errorMessage: 'Task timed out after 30.00 seconds',
      }),
    });
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, 'GHES reachable')).toMatch(
      /Runtime.ExitError: Task timed out.*\n.*\/aws\/lambda\/ghes-ops-prod-deployProbe/,
    );
  });

  it('reports a check it may not run (access denied) as failed, with the permission it needs', async () => {
    ssm
      .on(DescribeInstanceInformationCommand)
      .rejects(
        new SSMServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'no', ...meta }),
      );
    const { code, out } = await doctor();
    expect(code).toBe(1);
    expect(failed(out, 'appliances online in SSM')).toMatch(
      /AccessDeniedException: no\n.*ssm:DescribeInstanceInformation/,
    );
  });
});

describe('ghes-ops aws redrive', () => {
  const MESSAGE = 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1';
  const run = async (...args: string[]): Promise<{ code: number; out: string }> => {
    const lines: string[] = [];
    const code = await awsCommand(['redrive', ...args, '--stage', STAGE, '--region', REGION], {
      out: (l) => lines.push(l),
      clients,
    });
    return { code, out: lines.join('\n') };
  };
  beforeEach(() => {
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: RECEIVE }).resolves({
      Environment: {
        Variables: { GHES_OPS_SERVICE_DESK: JSON.stringify(DESK), GHES_OPS_SERVICE_DESK_PREFIX: 'inbound/' },
      },
    });
    lambda
      .on(InvokeCommand, { FunctionName: RECEIVE })
      .resolves({ StatusCode: 200, Payload: payload([{ action: 'created', issue: 12 }]) });
  });
  const sentEvent = (): unknown =>
    JSON.parse(
      new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as Uint8Array),
    );

  it('invokes serviceDeskReceive with an SES receipt event for the key, to the desk address', async () => {
    const { code, out } = await run(`inbound/${MESSAGE}`);
    expect(code).toBe(0);
    expect(out).toContain(`${RECEIVE} processed ${MESSAGE} (replayed without the SES verdicts`);
    expect(out).toContain('"issue": 12');
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input.FunctionName).toBe(RECEIVE);
    expect(input.InvocationType).toBe('RequestResponse');
    // The function's own parser (not written for this command) reads it as the SES record.
    expect(parseSesEvent(sentEvent())).toEqual([
      {
        messageId: MESSAGE,
        recipients: ['support@desk.example.com'],
        verdicts: { spam: undefined, virus: undefined, spf: undefined, dkim: undefined, dmarc: undefined },
      },
    ]);
  });

  it('replays the dead letter itself with --event, keeping its verdicts', async () => {
    const event = {
      Records: [
        {
          eventSource: 'aws:ses',
          ses: {
            mail: { messageId: MESSAGE, source: 'customer@example.org' },
            receipt: {
              recipients: ['support+acme-support@desk.example.com'],
              spamVerdict: { status: 'PASS' },
            },
          },
        },
      ],
    };
    const { code, out } = await run(`s3://bucket/inbound/${MESSAGE}`, '--event', JSON.stringify(event));
    expect(code).toBe(0);
    expect(out).not.toContain('without the SES verdicts');
    expect(sentEvent()).toEqual(event);
  });

  it('refuses a key that is not a raw mail key, and an --event for another message, invoking nothing', async () => {
    const bad = await failure(run('inbound/../../etc/passwd'));
    expect(bad.name).toBe('InputValidationError');
    expect(bad.message).toContain('inbound/<SES message id>');
    const other = await failure(
      run(MESSAGE, '--event', JSON.stringify({ Records: [{ ses: { mail: { messageId: 'other' } } }] })),
    );
    expect(other.message).toContain('--event');
    expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
  });

  it('fails with the function error when the replay fails again', async () => {
    lambda.on(InvokeCommand, { FunctionName: RECEIVE }).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({ errorType: 'NoSuchKey', errorMessage: 'The specified key does not exist.' }),
    });
    const err = await failure(run(MESSAGE));
    expect(err.name).toBe('RedriveFailed');
    expect(err.message).toBe(
      `${RECEIVE} failed on inbound/${MESSAGE}: NoSuchKey: The specified key does not exist.`,
    );
  });
});
