import type { ProbeOutput } from './probe.js';
import { describeProbe } from '../http/appliance-http.js';

/**
 * `ghes-ops aws doctor`: checks a deployed stage with the operator's credentials and says, for each
 * failing check, what to do. Every outside call sits behind one of the small interfaces below
 * (AWS SDK v3 implementations: shared/aws/doctor-aws.ts). Read-only: it never changes the
 * deployment, and it never reads a parameter's value (names and metadata only).
 */

/** The deployed functions: their configuration, and the probe. */
export interface DeployedFunctions {
  /** The function's environment variables, or `undefined` when no such function exists. */
  environment(functionName: string): Promise<Record<string, string> | undefined>;
  /** Invokes the probe function synchronously: its output, or the function's error. */
  invokeProbe(functionName: string): Promise<{ output: ProbeOutput } | { error: string }>;
}

/** SSM managed instances: PingStatus by instance id (absent: not registered with SSM). */
export interface ManagedInstances {
  pingStatus(instanceIds: string[]): Promise<Map<string, string>>;
}

export interface ParameterMetadata {
  type: string;
  keyId?: string;
}
/** SSM parameters, by name, metadata only (never a value). */
export interface ParameterCatalog {
  describe(names: string[]): Promise<Map<string, ParameterMetadata>>;
}

/** SES inbound mail (v1 API): the active receipt rule set, or why the region cannot receive. */
export interface MailReceiving {
  activeRuleSet(): Promise<{ name?: string } | { unsupported: string }>;
}

export interface ScheduleTarget {
  name: string;
  state: string;
  targetArn: string;
  roleArn: string;
}
/** The stack's EventBridge Scheduler schedules and what their roles may do. */
export interface Schedules {
  list(stackName: string): Promise<ScheduleTarget[]>;
  /** Service principals the role trusts. */
  trustedServices(roleArn: string): Promise<string[]>;
  /** IAM policy simulation of the role for `action` on `resourceArn`. */
  allows(roleArn: string, action: string, resourceArn: string): Promise<boolean>;
}

export interface DoctorDeps {
  functions: DeployedFunctions;
  instances: ManagedInstances;
  parameters: ParameterCatalog;
  mail: MailReceiving;
  schedules: Schedules;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when it failed. */
  fix?: string;
}

export const SERVICE = 'ghes-ops';
export const functionName = (stage: string, key: string): string => `${SERVICE}-${stage}-${key}`;
export const stackName = (stage: string): string => `${SERVICE}-${stage}`;

/** The SecureStrings the enabled features need, each as alternatives (any one group suffices). */
export function requiredSecrets(
  env: Record<string, string>,
): { feature: string; alternatives: string[][]; fix: string }[] {
  const prefix = (env.GHES_OPS_PARAMETER_PREFIX ?? '').replace(/\/$/, '');
  const app = ['app-id', 'private-key', 'webhook-secret'].map((f) => `${prefix}/github-app/credentials/${f}`);
  const out: { feature: string; alternatives: string[][]; fix: string }[] = [];
  if (!env.GHES_OPS_GHES_URL?.trim()) return out;
  out.push({
    feature: 'actions-sync (GHES token)',
    alternatives: [[`${prefix}/actions-sync/token`], app],
    fix: `register the GitHub App (docs/github-app.md) or: aws ssm put-parameter --type SecureString --name ${prefix}/actions-sync/token --value <PAT>`,
  });
  if (env.GHES_OPS_SERVICE_DESK?.trim()) {
    out.push({
      feature: 'service desk (GHES token)',
      alternatives: [[`${prefix}/service-desk/github-token`], app],
      fix: `register the GitHub App (docs/github-app.md) or: aws ssm put-parameter --type SecureString --name ${prefix}/service-desk/github-token --value <token>`,
    });
    out.push({
      feature: 'service desk (webhook secret, admin token)',
      alternatives: [[`${prefix}/service-desk/webhook-secret`, `${prefix}/service-desk/admin-token`]],
      fix: `aws ssm put-parameter --type SecureString --name <name> --value "$(openssl rand -hex 32)" for each missing name (docs/service-desk.md)`,
    });
  }
  return out;
}

const errorText = (e: unknown): string => {
  const err = e as Error;
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
};

/** Runs every check; a check that cannot run (no permission, API error) fails with the reason. */
export async function runDoctor(stage: string, region: string, deps: DoctorDeps): Promise<Check[]> {
  const checks: Check[] = [];
  const guard = async (name: string, fix: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (e) {
      checks.push({ name, ok: false, detail: `could not check: ${errorText(e)}`, fix });
    }
  };
  const probeName = functionName(stage, 'deployProbe');
  let env: Record<string, string> | undefined;
  await guard('deployment', 'your credentials need lambda:GetFunctionConfiguration', async () => {
    env = await deps.functions.environment(probeName);
    checks.push(
      env
        ? { name: 'deployment', ok: true, detail: `stack ${stackName(stage)} found in ${region}` }
        : {
            name: 'deployment',
            ok: false,
            detail: `function ${probeName} not found in ${region}`,
            fix: `deploy the stage (npx osls deploy --stage ${stage} --region ${region}), or pass the --stage and --region it was deployed with`,
          },
    );
  });
  if (!env) return checks;
  const e = env;

  await guard(
    'appliances online in SSM',
    'your credentials need ssm:DescribeInstanceInformation',
    async () => {
      const ids = [e.GHES_OPS_PRIMARY, e.GHES_OPS_REPLICA].filter((id): id is string => !!id?.trim());
      const status = await deps.instances.pingStatus(ids);
      for (const id of ids) {
        const ping = status.get(id);
        checks.push(
          ping === 'Online'
            ? { name: `appliance ${id} online in SSM`, ok: true, detail: 'PingStatus Online' }
            : {
                name: `appliance ${id} online in SSM`,
                ok: false,
                detail: ping ? `PingStatus ${ping}` : 'not registered with Systems Manager',
                fix: ping
                  ? 'the SSM agent lost its connection: check the instance is running, its agent (systemctl status amazon-ssm-agent) and its route to the ssm, ssmmessages and ec2messages endpoints'
                  : 'give the instance a profile with AmazonSSMManagedInstanceCore, start the SSM agent, and give its subnet a route to SSM (NAT or the ssm, ssmmessages, ec2messages endpoints); docs/deploy.md',
              },
        );
      }
    },
  );

  await guard('SecureStrings', 'your credentials need ssm:DescribeParameters', async () => {
    const needed = requiredSecrets(e);
    const names = [...new Set(needed.flatMap((n) => n.alternatives.flat()))];
    const found =
      names.length > 0 ? await deps.parameters.describe(names) : new Map<string, ParameterMetadata>();
    const key = e.GHES_OPS_KMS_KEY_ID?.trim();
    for (const need of needed) {
      const complete = need.alternatives.find((group) => group.every((n) => found.has(n)));
      if (!complete) {
        const missing = need.alternatives[0]!.filter((n) => !found.has(n));
        checks.push({
          name: `SecureStrings for ${need.feature}`,
          ok: false,
          detail: `missing: ${missing.join(', ')}`,
          fix: need.fix,
        });
        continue;
      }
      const wrong = complete.filter((n) => found.get(n)!.type !== 'SecureString');
      const otherKey = key ? complete.filter((n) => !keyMatches(found.get(n)!.keyId, key)) : [];
      checks.push(
        wrong.length > 0
          ? {
              name: `SecureStrings for ${need.feature}`,
              ok: false,
              detail: `not SecureString: ${wrong.join(', ')}`,
              fix: 'delete and re-create each as --type SecureString (a secret must never be a plain String)',
            }
          : otherKey.length > 0
            ? {
                name: `SecureStrings for ${need.feature}`,
                ok: false,
                detail: `not encrypted with the deployment's key: ${otherKey.join(', ')}`,
                fix: `re-create each with --key-id ${key}`,
              }
            : { name: `SecureStrings for ${need.feature}`, ok: true, detail: complete.join(', ') },
      );
    }
  });

  if (e.GHES_OPS_SERVICE_DESK?.trim()) {
    await guard(
      'SES receipt rule set',
      'your credentials need ses:DescribeActiveReceiptRuleSet',
      async () => {
        const expected = `${stackName(stage)}-service-desk`;
        const active = await deps.mail.activeRuleSet();
        if ('unsupported' in active) {
          checks.push({
            name: 'SES receives mail in this region',
            ok: false,
            detail: `${region}: ${active.unsupported}`,
            fix: 'SES email receiving exists only in some regions: deploy the stage in one of them (docs/deploy.md, "Email receiving regions")',
          });
          return;
        }
        checks.push({ name: 'SES receives mail in this region', ok: true, detail: region });
        checks.push(
          active.name === expected
            ? { name: 'SES receipt rule set active', ok: true, detail: expected }
            : {
                name: 'SES receipt rule set active',
                ok: false,
                detail: active.name ? `the active rule set is ${active.name}` : 'no rule set is active',
                fix: `aws ses set-active-receipt-rule-set --rule-set-name ${expected} --region ${region} (only one rule set is active per region: merge rules if ${active.name ?? 'another'} is still needed)`,
              },
        );
      },
    );
  }

  await guard(
    'schedules',
    'your credentials need cloudformation:ListStackResources, scheduler:GetSchedule, iam:GetRole and iam:SimulatePrincipalPolicy',
    async () => {
      for (const s of await deps.schedules.list(stackName(stage))) {
        const action = s.targetArn.includes(':states:') ? 'states:StartExecution' : 'lambda:InvokeFunction';
        const trusts = (await deps.schedules.trustedServices(s.roleArn)).includes('scheduler.amazonaws.com');
        const allowed = trusts && (await deps.schedules.allows(s.roleArn, action, s.targetArn));
        checks.push(
          trusts && allowed
            ? {
                name: `schedule ${s.name}`,
                ok: true,
                detail: `${s.state}; its role may ${action} on its target`,
              }
            : {
                name: `schedule ${s.name}`,
                ok: false,
                detail: !trusts
                  ? `its role ${s.roleArn} does not trust scheduler.amazonaws.com`
                  : `its role ${s.roleArn} may not ${action} on ${s.targetArn}`,
                fix: 'redeploy from this version of serverless.yml (each schedule has its own role trusting the scheduler, allowed to invoke only its target)',
              },
        );
      }
    },
  );

  await guard(
    'GHES reachable from the functions',
    'your credentials need lambda:InvokeFunction on the probe',
    async () => {
      const res = await deps.functions.invokeProbe(probeName);
      if ('error' in res) {
        checks.push({
          name: 'GHES reachable from the functions',
          ok: false,
          detail: `the probe failed: ${res.error}`,
          fix: `read its log (/aws/lambda/${probeName}); in a VPC a timeout here means the subnets have no route to CloudWatch Logs or Lambda cannot create network interfaces`,
        });
        return;
      }
      if (res.output.probes.length === 0) {
        checks.push({
          name: 'GHES reachable from the functions',
          ok: false,
          detail: 'no GHES host is configured',
          fix: 'set the ghesUrl (and primaryHost/replicaHost) params and redeploy',
        });
        return;
      }
      for (const p of res.output.probes) {
        const reached = 'code' in p.result;
        checks.push({
          name: `https://${p.host}/status from the functions' network`,
          ok: reached,
          detail: describeProbe(p.result),
          ...(reached
            ? {}
            : {
                fix: 'allow HTTPS (443) from the vpcSecurityGroupIds to the appliance, check the subnets route to it and resolve its name (Route 53 private zone or VPC DNS); docs/deploy.md',
              }),
        });
      }
    },
  );
  return checks;
}

/** A parameter's KeyId is an alias, a key id or an ARN: compare the key id part. */
function keyMatches(keyId: string | undefined, key: string): boolean {
  if (!keyId) return false;
  const id = (s: string): string => s.split('/').pop() ?? s;
  return keyId === key || id(keyId) === id(key);
}

/** The checklist as printed: one line per check, the fix under each failure. */
export function formatChecklist(checks: Check[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.ok ? '[ok]  ' : '[FAIL]'} ${c.name}: ${c.detail}`);
    if (!c.ok && c.fix) lines.push(`       fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(
    failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`,
  );
  return lines.join('\n');
}
