import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SESClient } from '@aws-sdk/client-ses';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type {
  DeployedFunctions,
  ManagedInstances,
  MailReceiving,
  ParameterCatalog,
  ParameterMetadata,
  ScheduleTarget,
  Schedules,
} from '../deploy/doctor.js';
import type { ProbeOutput } from '../deploy/probe.js';
import type { FunctionInvoker } from '../deploy/redrive.js';
import { isAwsError } from './aws-error.js';

/** The doctor's checks with AWS SDK v3 (the operator's credentials), read-only. */

export class LambdaDeployedFunctions implements DeployedFunctions, FunctionInvoker {
  constructor(private readonly client: LambdaClient) {}

  async environment(functionName: string): Promise<Record<string, string> | undefined> {
    const { GetFunctionConfigurationCommand } = await import('@aws-sdk/client-lambda');
    try {
      const out = await this.client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      return out.Environment?.Variables ?? {};
    } catch (e) {
      if (isAwsError(e, 'ResourceNotFoundException')) return undefined;
      throw e;
    }
  }

  /** RequestResponse invocation: the output, or the function's error (type and message). */
  async invoke(functionName: string, payload: unknown): Promise<{ output: unknown } | { error: string }> {
    const { InvokeCommand } = await import('@aws-sdk/client-lambda');
    const out = await this.client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) {
      const err = safeJson(text) as { errorType?: string; errorMessage?: string } | undefined;
      return {
        error: err?.errorMessage
          ? `${err.errorType ?? out.FunctionError}: ${err.errorMessage}`
          : out.FunctionError,
      };
    }
    return { output: safeJson(text) };
  }

  async invokeProbe(functionName: string): Promise<{ output: ProbeOutput } | { error: string }> {
    const res = await this.invoke(functionName, {});
    if ('error' in res) return res;
    const output = res.output as ProbeOutput | undefined;
    if (!output || !Array.isArray(output.probes))
      return { error: `unexpected probe output: ${JSON.stringify(res.output)?.slice(0, 200)}` };
    return { output };
  }
}

export class SsmManagedInstances implements ManagedInstances {
  constructor(private readonly client: SSMClient) {}

  async pingStatus(instanceIds: string[]): Promise<Map<string, string>> {
    const status = new Map<string, string>();
    if (instanceIds.length === 0) return status;
    const { DescribeInstanceInformationCommand } = await import('@aws-sdk/client-ssm');
    let NextToken: string | undefined;
    do {
      const out = await this.client.send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: 'InstanceIds', Values: instanceIds }],
          NextToken,
        }),
      );
      for (const i of out.InstanceInformationList ?? [])
        if (i.InstanceId) status.set(i.InstanceId, i.PingStatus ?? 'unknown');
      NextToken = out.NextToken;
    } while (NextToken);
    return status;
  }
}

/** DescribeParameters: names, types and keys only; it never returns a value. */
export class SsmParameterCatalog implements ParameterCatalog {
  constructor(private readonly client: SSMClient) {}

  async describe(names: string[]): Promise<Map<string, ParameterMetadata>> {
    const { DescribeParametersCommand } = await import('@aws-sdk/client-ssm');
    const found = new Map<string, ParameterMetadata>();
    // The Name filter takes at most 50 values.
    for (let i = 0; i < names.length; i += 50) {
      let NextToken: string | undefined;
      do {
        const out = await this.client.send(
          new DescribeParametersCommand({
            ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: names.slice(i, i + 50) }],
            NextToken,
          }),
        );
        for (const p of out.Parameters ?? [])
          if (p.Name)
            found.set(p.Name, { type: p.Type ?? 'unknown', ...(p.KeyId ? { keyId: p.KeyId } : {}) });
        NextToken = out.NextToken;
      } while (NextToken);
    }
    return found;
  }
}

/** SES v1: receipt rule sets exist only where SES receives mail. */
export class SesMailReceiving implements MailReceiving {
  constructor(private readonly client: SESClient) {}

  async activeRuleSet(): Promise<{ name?: string } | { unsupported: string }> {
    const { DescribeActiveReceiptRuleSetCommand } = await import('@aws-sdk/client-ses');
    try {
      const out = await this.client.send(new DescribeActiveReceiptRuleSetCommand({}));
      return out.Metadata?.Name ? { name: out.Metadata.Name } : {};
    } catch (e) {
      // Regions without email receiving do not know the receipt rule actions.
      const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      if (
        ['InvalidAction', 'UnknownOperationException', 'UnrecognizedClientException'].includes(
          err.name ?? '',
        ) ||
        /not (supported|available)/i.test(err.message ?? '')
      )
        return { unsupported: `${err.name}: ${err.message ?? ''}`.trim() };
      throw e;
    }
  }
}

export class AwsSchedules implements Schedules {
  constructor(
    private readonly clients: {
      cloudformation: CloudFormationClient;
      scheduler: SchedulerClient;
      iam: IAMClient;
    },
  ) {}

  async list(stackName: string): Promise<ScheduleTarget[]> {
    const [{ ListStackResourcesCommand }, { GetScheduleCommand }] = await Promise.all([
      import('@aws-sdk/client-cloudformation'),
      import('@aws-sdk/client-scheduler'),
    ]);
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const out = await this.clients.cloudformation.send(
        new ListStackResourcesCommand({ StackName: stackName, NextToken }),
      );
      for (const r of out.StackResourceSummaries ?? [])
        if (r.ResourceType === 'AWS::Scheduler::Schedule' && r.PhysicalResourceId)
          names.push(r.PhysicalResourceId);
      NextToken = out.NextToken;
    } while (NextToken);
    const out: ScheduleTarget[] = [];
    for (const name of names) {
      const s = await this.clients.scheduler.send(new GetScheduleCommand({ Name: name }));
      out.push({
        name,
        state: s.State ?? 'unknown',
        targetArn: s.Target?.Arn ?? '',
        roleArn: s.Target?.RoleArn ?? '',
      });
    }
    return out;
  }

  async trustedServices(roleArn: string): Promise<string[]> {
    const { GetRoleCommand } = await import('@aws-sdk/client-iam');
    const roleName = roleArn.split('/').pop() ?? roleArn;
    const out = await this.clients.iam.send(new GetRoleCommand({ RoleName: roleName }));
    // IAM returns the trust policy URL-encoded.
    const doc = safeJson(decodeURIComponent(out.Role?.AssumeRolePolicyDocument ?? '')) as
      | {
          Statement?: {
            Effect?: string;
            Action?: string | string[];
            Principal?: { Service?: string | string[] };
          }[];
        }
      | undefined;
    return (doc?.Statement ?? [])
      .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes('sts:AssumeRole'))
      .flatMap((s) => [s.Principal?.Service ?? []].flat());
  }

  async allows(roleArn: string, action: string, resourceArn: string): Promise<boolean> {
    const { SimulatePrincipalPolicyCommand } = await import('@aws-sdk/client-iam');
    const out = await this.clients.iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: roleArn,
        ActionNames: [action],
        ResourceArns: [resourceArn],
      }),
    );
    const results = out.EvaluationResults ?? [];
    return results.length > 0 && results.every((r) => r.EvalDecision === 'allowed');
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
