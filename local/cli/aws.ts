import { parseArgs } from 'node:util';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SESClient } from '@aws-sdk/client-ses';
import type { SSMClient } from '@aws-sdk/client-ssm';
import {
  AwsSchedules,
  LambdaDeployedFunctions,
  SesMailReceiving,
  SsmManagedInstances,
  SsmParameterCatalog,
} from '../../shared/aws/doctor-aws.js';
import { formatChecklist, runDoctor, type DoctorDeps } from '../../shared/deploy/doctor.js';
import { redrive, type FunctionInvoker } from '../../shared/deploy/redrive.js';
import { InputValidationError } from '../../shared/errors.js';
import { readInputArg } from './input.js';

/**
 * `ghes-ops aws ...`: the deployed stage, with the operator's AWS credentials (the SDK's default
 * chain: environment, profile, SSO). Nothing here changes the deployment except `redrive`, which
 * invokes the service desk's receive function once.
 */
export const AWS_USAGE = `  ghes-ops aws doctor --stage <stage> [--region <region>]
                                     check the deployed stage: appliances in SSM, SecureStrings, SES
                                     receiving, schedule roles, GHES reachable from the functions
  ghes-ops aws redrive <s3-key> --stage <stage> [--region <region>] [--recipient <desk address>]
      [--event <json|@file>]         replay a service desk dead letter (the raw mail's key, inbound/<id>)`;

export interface AwsClients {
  lambda: LambdaClient;
  ssm: SSMClient;
  ses: SESClient;
  scheduler: SchedulerClient;
  iam: IAMClient;
  cloudformation: CloudFormationClient;
}

/** The SDK clients, loaded on use (the rest of the CLI never pays for them). */
export async function awsClients(region: string | undefined): Promise<AwsClients> {
  const cfg = region ? { region } : {};
  const [lambda, ssm, ses, scheduler, iam, cloudformation] = await Promise.all([
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-ssm'),
    import('@aws-sdk/client-ses'),
    import('@aws-sdk/client-scheduler'),
    import('@aws-sdk/client-iam'),
    import('@aws-sdk/client-cloudformation'),
  ]);
  return {
    lambda: new lambda.LambdaClient(cfg),
    ssm: new ssm.SSMClient(cfg),
    ses: new ses.SESClient(cfg),
    scheduler: new scheduler.SchedulerClient(cfg),
    iam: new iam.IAMClient(cfg),
    cloudformation: new cloudformation.CloudFormationClient(cfg),
  };
}

export function doctorDeps(c: AwsClients): DoctorDeps & { functions: FunctionInvoker } {
  return {
    functions: new LambdaDeployedFunctions(c.lambda),
    instances: new SsmManagedInstances(c.ssm),
    parameters: new SsmParameterCatalog(c.ssm),
    mail: new SesMailReceiving(c.ses),
    schedules: new AwsSchedules(c),
  };
}

const STAGE = /^[A-Za-z0-9-]{1,32}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

function usageProblem(field: string, problem: string): InputValidationError {
  return new InputValidationError([{ field, problem }], 'command line');
}

/** Returns the exit code: 0 when every check passed (doctor) or the redrive succeeded. */
export async function awsCommand(
  args: string[],
  io: { out: (line: string) => void; clients?: (region: string | undefined) => Promise<AwsClients> },
): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      recipient: { type: 'string' },
      event: { type: 'string' },
    },
  });
  if (sub !== 'doctor' && sub !== 'redrive')
    throw usageProblem('aws', `expected doctor or redrive.\n${AWS_USAGE}`);
  const stage = values.stage;
  if (!stage || !STAGE.test(stage))
    throw usageProblem('--stage', 'is required: the stage you deployed (e.g. prod)');
  if (values.region !== undefined && !REGION.test(values.region))
    throw usageProblem('--region', `"${values.region}" is not a region name (e.g. ap-northeast-2)`);
  const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const deps = doctorDeps(await (io.clients ?? awsClients)(region));
  if (sub === 'doctor') {
    const checks = await runDoctor(stage, region ?? '(the default region)', deps);
    io.out(formatChecklist(checks));
    return checks.every((c) => c.ok) ? 0 : 1;
  }
  const key = positionals[0];
  if (!key) throw usageProblem('s3-key', 'is required: the raw mail key, inbound/<SES message id>');
  const event = values.event === undefined ? undefined : await readInputArg(values.event);
  const res = await redrive(
    stage,
    key,
    {
      ...(values.recipient ? { recipient: values.recipient } : {}),
      ...(event !== undefined ? { event } : {}),
    },
    { functions: deps.functions },
  );
  io.out(
    `${res.functionName} processed ${res.messageId}${res.withVerdicts ? '' : ' (replayed without the SES verdicts: pass --event with the dead letter to keep them)'}:`,
  );
  io.out(JSON.stringify(res.output, null, 2));
  return 0;
}
