/**
 * Packages the service with osls (offline, no credentials) and checks the CloudFormation template
 * and the function artifacts: least-privilege roles, the state machine built from the ASL file, the
 * disabled schedule, logging, runtime and ESM bundles.
 *
 * Packaging runs on a throw-away copy of the project (scripts/package-isolated.ts), so the template
 * always reflects the current serverless.yml, ASL files and handlers, and the developer's own
 * .serverless/ is left alone. Two packagings run in parallel: default params, and params that set a
 * replica, an SES configuration set and enable the schedule.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isNode, parseDocument, visit } from 'yaml';
import { packageIsolated, PROJECT_DIR, type PackagedService } from '../../scripts/package-isolated.js';
import { readZip } from '../../scripts/zip.js';
import { CONFIG_PART_VARIABLES } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Resource {
  Type: string;
  Properties: JsonObject;
  DependsOn?: string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Template {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, { Type: string; Default?: string }>;
  Outputs?: Record<string, JsonObject>;
  Conditions?: Record<string, Json>;
}
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  Principal?: Json;
  Condition?: Json;
}

const STAGE = 'dev';
const SERVICE = 'ghes-ops';
const ASL_FILE = join(PROJECT_DIR, 'statemachines', 'support-bundle.asl.json');
const FAILOVER_ASL_FILE = join(PROJECT_DIR, 'statemachines', 'failover.asl.json');
const CUSTOM_EMAIL_ASL_FILE = join(PROJECT_DIR, 'statemachines', 'custom-email-verification.asl.json');
const RUNBOOK_MACHINES = [
  ['jira-prefix-list', 'JiraPrefixListStateMachine', 'jiraPrefixList'],
  ['tls-certificate', 'TlsCertificateStateMachine', 'tlsCertificate'],
  ['backup-health', 'BackupHealthStateMachine', 'backupHealth'],
] as const;

/** Function key -> what its role may do besides writing to its own log group. */
/** The service desk's record store: one DynamoDB table, item-level actions only. */
const RECORDS_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

const EXPECTED_ACTIONS: Record<string, string[]> = {
  supportBundleValidate: [],
  supportBundleStart: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  supportBundleCheck: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  supportBundleAttachReplication: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  supportBundleNotify: ['ses:SendEmail'],
  failoverValidate: [],
  failoverLock: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter', 'states:DescribeExecution'],
  failoverGuard: ['ssm:GetParameter'],
  // With a hosted zone / target group configured also route53:ListResourceRecordSets and
  // elasticloadbalancing:DescribeTargetHealth (read only; see the Route 53 test below).
  failoverPreflight: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  failoverObserve: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  failoverRequestApproval: ['ssm:PutParameter', 'ses:SendEmail'],
  failoverApprovalLink: [
    'ssm:GetParameter',
    'ssm:DeleteParameter',
    'states:SendTaskSuccess',
    'states:SendTaskFailure',
  ],
  failoverHooks: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  failoverFence: [
    'ssm:SendCommand',
    'ssm:GetCommandInvocation',
    'ssm:CancelCommand',
    'ec2:StopInstances',
    // The lock's phase (restore.ts).
    'ssm:GetParameter',
    'ssm:PutParameter',
  ],
  failoverCheckDrain: [
    'ssm:SendCommand',
    'ssm:GetCommandInvocation',
    'ssm:CancelCommand',
    'ssm:GetParameter',
  ],
  failoverPromoteStart: [
    'ssm:SendCommand',
    'ssm:GetCommandInvocation',
    'ssm:CancelCommand',
    'ssm:PutParameter',
    'ssm:GetParameter',
  ],
  failoverPromoteCheck: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  // No hosted zone and no target group by default: the traffic steps may change nothing.
  failoverSwitchTraffic: [],
  failoverCheckTraffic: [],
  failoverVerify: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  failoverTeardown: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  // A stop before promotion: ghe-maintenance -u, from the lock's phase.
  failoverRestore: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand', 'ssm:GetParameter'],
  failoverRelease: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
  failoverNotify: ['ses:SendEmail'],
  // Invoked asynchronously (EventBridge): its dead-letter queue.
  failoverExecutionEnded: [
    'ssm:GetParameter',
    'ssm:DeleteParameter',
    'ses:SendEmail',
    'sqs:SendMessage',
    // Restores service after a stop before promotion (ghe-maintenance -u).
    'ssm:SendCommand',
    'ssm:GetCommandInvocation',
    'ssm:CancelCommand',
  ],
  githubAppSetup: ['dynamodb:PutItem'],
  githubAppRedirect: ['dynamodb:DeleteItem', 'ssm:PutParameter'],
  githubAppWebhook: ['ssm:GetParameter', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  serviceDeskReceive: [
    's3:GetObject',
    's3:PutObject',
    ...RECORDS_ACTIONS,
    'ssm:GetParameter',
    'ssm:PutParameter',
    'ssm:DeleteParameter',
    'ses:SendEmail',
    // A forwarded +verify mail resumes the waiting custom email verification.
    'states:SendTaskSuccess',
    // Invoked asynchronously (SES): its dead-letter queue.
    'sqs:SendMessage',
  ],
  serviceDeskHttp: [
    ...RECORDS_ACTIONS,
    'ssm:GetParameter',
    'ssm:PutParameter',
    'ssm:DeleteParameter',
    'ses:SendEmail',
    // POST /service-desk/custom-email/<project>/verify.
    'states:StartExecution',
  ],
  // Issue 19: the SLA check (scheduled: its dead-letter queue) claims one record per breach and
  // reads the GHES token; the survey link claims its single use and reads the signing key.
  serviceDeskSla: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'ssm:GetParameter', 'sqs:SendMessage'],
  serviceDeskSurvey: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'ssm:GetParameter'],
  customEmailStart: [
    'ssm:GetParameter',
    'ssm:PutParameter',
    'ssm:DeleteParameter',
    'states:DescribeExecution',
    'ses:SendEmail',
  ],
  // The verification email goes through the customer's SMTP server: no AWS mail action.
  customEmailSend: ['ssm:GetParameter', 'ssm:PutParameter'],
  customEmailCheck: ['ssm:GetParameter'],
  customEmailFinish: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter', 'ses:SendEmail'],
  actionsSyncConfigure: ['ssm:GetParameter'],
  actionsSyncPreflight: [
    'ssm:GetParameter',
    'ssm:PutParameter',
    'ssm:SendCommand',
    'ssm:GetCommandInvocation',
    'ssm:CancelCommand',
  ],
  actionsSyncStart: ['ssm:SendCommand'],
  actionsSyncCheck: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  actionsSyncReport: ['ses:SendEmail', 'ssm:GetParameter'],
  // Invoked asynchronously (EventBridge Scheduler): its dead-letter queue.
  actionsSyncWatchUpgrade: [
    'ssm:GetParameter',
    'ssm:PutParameter',
    'states:StartExecution',
    'sqs:SendMessage',
  ],
  // The doctor's probe: HTTPS to GHES only.
  deployProbe: [],
  jiraPrefixListValidate: [],
  jiraPrefixListPlan: ['ec2:DescribeManagedPrefixLists', 'ec2:GetManagedPrefixListEntries'],
  jiraPrefixListApply: [
    'ec2:DescribeManagedPrefixLists',
    'ec2:GetManagedPrefixListEntries',
    'ec2:ModifyManagedPrefixList',
    'ec2:CreateTags',
  ],
  jiraPrefixListRequestApproval: ['ssm:PutParameter', 'ses:SendEmail'],
  jiraPrefixListNotify: ['ses:SendEmail'],
  tlsCertificateValidate: [],
  tlsCertificateInspect: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  tlsCertificateRenew: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  tlsCertificateCheckRenewal: ['ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  tlsCertificateRequestApproval: ['ssm:PutParameter', 'ses:SendEmail'],
  tlsCertificateNotify: ['ses:SendEmail'],
  backupHealthValidate: [],
  backupHealthCheck: ['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:CancelCommand'],
  backupHealthNotify: ['ses:SendEmail'],
  // No backup volume by default: the snapshot step may do nothing.
  backupHealthSnapshot: [],
};
/** Functions run by the failover state machine (the others are triggered by events or HTTP). */
const FAILOVER_STEP_FUNCTIONS = Object.keys(EXPECTED_ACTIONS).filter(
  (k) => k.startsWith('failover') && k !== 'failoverApprovalLink' && k !== 'failoverExecutionEnded',
);
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** Actions that AWS authorizes only on Resource "*" (no resource-level permissions). */
const STAR_RESOURCE_ACTIONS = new Set([
  'ssm:GetCommandInvocation',
  'ssm:CancelCommand',
  'elasticloadbalancing:DescribeTargetHealth',
  // No resource types in the IAM reference: the task token is what limits them.
  'states:SendTaskSuccess',
  'states:SendTaskFailure',
  // Lambda's network interfaces in a VPC (describe actions), X-Ray writes.
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // Step Functions logging to CloudWatch Logs (vended log delivery), added by serverless-step-functions.
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  // Reads the prefix lists' version, MaxEntries, state and tags.
  'ec2:DescribeManagedPrefixLists',
  // Lists the backup volume's snapshots (to delete our expired ones).
  'ec2:DescribeSnapshots',
]);

const DEFAULT_PRIMARY = 'i-00000000000000000';
const VARIANT = {
  replicaInstanceId: 'i-0123456789abcdef1',
  sesConfigurationSet: 'ghes-ops-events',
  scheduleEnabled: 'true',
  scheduleTicket: '1234567',
  failoverHostedZoneId: 'Z0123456789ABCDEFGHIJ',
  failoverRecordName: 'github.example.com',
  failoverTargetGroupArn:
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ghes/0123456789abcdef',
  failoverAlarmEnabled: 'true',
  // Issue 13: the private-network deployment of the acceptance criteria, with the SSM output bucket
  // and X-Ray.
  vpcSubnetIds: 'subnet-0abc,subnet-0def',
  vpcSecurityGroupIds: 'sg-0abc',
  kmsKeyArn: 'arn:aws:kms:ap-northeast-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  commandOutputBucket: 'ghes-ops-command-output',
  xrayTracing: 'true',
  jiraPrefixListIdIpv6: 'pl-0fedcba9876543210',
  jiraScheduleEnabled: 'true',
  tlsScheduleEnabled: 'true',
  backupHost: 'i-0123456789abcdef2',
  backupVolumeId: 'vol-0123456789abcdef3',
};

/** serverless naming: function key -> logical ids. */
const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const functionLogicalId = (key: string): string => `${upperFirst(key)}LambdaFunction`;
const logGroupLogicalId = (key: string): string => `${upperFirst(key)}LogGroup`;
const roleLogicalId = (key: string): string => `${upperFirst(key)}Role`;

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every IAM-style statement in the template: role policies, managed policies, resource policies. */
function allStatements(template: Template): { where: string; statement: Statement }[] {
  const found: { where: string; statement: Statement }[] = [];
  const visit = (node: Json, where: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${where}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node.Statement)) {
      node.Statement.forEach((s, i) =>
        found.push({ where: `${where}.Statement[${i}]`, statement: s as unknown as Statement }),
      );
    }
    for (const [k, v] of Object.entries(node)) visit(v, `${where}.${k}`);
  };
  for (const [id, resource] of Object.entries(template.Resources)) visit(resource as unknown as Json, id);
  return found;
}

/** Evaluates `Fn::If` on a condition of the template (Fn::Not / Fn::Equals of literals or parameters). */
function conditionTrue(template: Template, name: string): boolean {
  const value = (node: Json | undefined): Json | undefined => {
    const ref = (node as JsonObject | null)?.Ref;
    return typeof ref === 'string' && template.Parameters?.[ref] ? template.Parameters[ref].Default! : node;
  };
  const evaluate = (node: Json): boolean => {
    const o = node as JsonObject;
    if (o['Fn::Not']) return !evaluate((o['Fn::Not'] as Json[])[0]!);
    if (o['Fn::Equals']) {
      const [a, b] = (o['Fn::Equals'] as Json[]).map(value);
      return JSON.stringify(a) === JSON.stringify(b);
    }
    throw new Error(`cannot evaluate condition ${JSON.stringify(node)}`);
  };
  return evaluate(template.Conditions![name]!);
}

function roleStatements(template: Template, roleId: string): Statement[] {
  const role = template.Resources[roleId];
  if (!role) throw new Error(`no resource ${roleId}`);
  expect(role.Type).toBe('AWS::IAM::Role');
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  const policies = ((role.Properties.Policies ?? []) as JsonObject[]).flatMap((p) => {
    const cond = p['Fn::If'] as [string, JsonObject, JsonObject] | undefined;
    if (!cond) return [p];
    const chosen = conditionTrue(template, cond[0]) ? cond[1] : cond[2];
    return 'Ref' in chosen ? [] : [chosen];
  });
  return policies.flatMap(
    (p) => ((p.PolicyDocument as JsonObject).Statement as unknown as Statement[]) ?? [],
  );
}

function actionsOf(statements: Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();
}

/** The definition as deployed: Fn::Sub placeholders replaced by `GETATT(<LogicalId>)` markers. */
function deployedDefinition(template: Template, logicalId = 'SupportBundleStateMachine'): JsonObject {
  const sub = template.Resources[logicalId]?.Properties.DefinitionString as JsonObject;
  const [text, vars] = sub['Fn::Sub'] as [string, Record<string, JsonObject>];
  const resolved = text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    const ref = vars[name];
    if (!ref) return whole;
    const [logicalId, attribute] = ref['Fn::GetAtt'] as [string, string];
    expect(attribute).toBe('Arn');
    return `GETATT(${logicalId})`;
  });
  return JSON.parse(resolved) as JsonObject;
}

/** The ASL file with `{"Fn::GetAtt": [functionKey, "Arn"]}` turned into the same markers. */
function expectedDefinition(functionKeys: string[], file = ASL_FILE): JsonObject {
  const replace = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(replace);
    if (node === null || typeof node !== 'object') return node;
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt) && Object.keys(node).length === 1) {
      const [key, attribute] = getAtt as [string, string];
      expect(functionKeys).toContain(key);
      expect(attribute).toBe('Arn');
      return `GETATT(${functionLogicalId(key)})`;
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replace(v)]));
  };
  return replace(JSON.parse(readFileSync(file, 'utf8')) as Json) as JsonObject;
}

/** serverless-step-functions adds `"QueryLanguage": "JSONPath"` to every state; compare without it. */
function withoutJsonPathQueryLanguage(node: Json): Json {
  if (Array.isArray(node)) return node.map(withoutJsonPathQueryLanguage);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'QueryLanguage' && v === 'JSONPath'))
      .map(([k, v]) => [k, withoutJsonPathQueryLanguage(v)]),
  );
}

/** Task states of a definition (including nested Parallel branches and Map iterators). */
function taskStates(definition: JsonObject): [string, JsonObject][] {
  const out: [string, JsonObject][] = [];
  const walk = (states: Record<string, JsonObject>): void => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') out.push([name, state]);
      for (const branch of asArray(state.Branches as JsonObject[] | undefined))
        walk(branch.States as Record<string, JsonObject>);
      const iterator = (state.ItemProcessor ?? state.Iterator) as JsonObject | undefined;
      if (iterator) walk(iterator.States as Record<string, JsonObject>);
    }
  };
  walk(definition.States as Record<string, JsonObject>);
  return out;
}

/** The function a Task state invokes (`Resource` or `Parameters.FunctionName`), as a GETATT marker. */
function invokedLogicalId(state: JsonObject): string | undefined {
  const params = state.Parameters as JsonObject | undefined;
  const target =
    typeof state.Resource === 'string' && state.Resource.startsWith('GETATT(')
      ? state.Resource
      : params?.FunctionName;
  const m = typeof target === 'string' ? /^GETATT\((.+)\)$/.exec(target) : null;
  return m?.[1];
}

const yamlDoc = parseDocument(readFileSync(join(PROJECT_DIR, 'serverless.yml'), 'utf8'));
const config = yamlDoc.toJS() as {
  functions: Record<string, { handler: string; timeout?: number; role?: string }>;
};
const functionKeys = Object.keys(config.functions);

let packaged: PackagedService;
let variant: PackagedService;
let template: Template;
let variantTemplate: Template;
let extractDir: string;

beforeAll(async () => {
  [packaged, variant] = await Promise.all([
    packageIsolated({ stage: STAGE }),
    packageIsolated({ stage: STAGE, params: VARIANT }),
  ]);
  const load = (p: PackagedService): Template =>
    JSON.parse(readFileSync(join(p.outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  template = load(packaged);
  variantTemplate = load(variant);
  extractDir = mkdtempSync(join(tmpdir(), 'ghes-ops-bundles-'));
}, 180_000);

afterAll(() => {
  packaged?.cleanup();
  variant?.cleanup();
  if (extractDir) rmSync(extractDir, { recursive: true, force: true });
});

describe('serverless.yml', () => {
  it('is plain YAML (no CloudFormation short tags) the local engine can read', () => {
    expect(yamlDoc.errors).toEqual([]);
    expect(yamlDoc.warnings).toEqual([]);
    const tags: string[] = [];
    visit(yamlDoc, {
      Node: (_key, node) => {
        if (isNode(node) && node.tag) tags.push(node.tag);
      },
    });
    expect(tags).toEqual([]);
    // ${ssm:...} (and ${cf:...}, ${s3:...}) variables would need AWS credentials at package time.
    expect(JSON.stringify(yamlDoc.toJS())).not.toMatch(/\$\{(ssm|cf|s3|aws):/);
  });

  it('declares the support-bundle and failover functions with handlers that exist', () => {
    expect(functionKeys.sort()).toEqual(Object.keys(EXPECTED_ACTIONS).sort());
    for (const [key, fn] of Object.entries(config.functions)) {
      const source = fn.handler.replace(/\.handler$/, '.ts');
      expect({ key, exists: existsSync(join(PROJECT_DIR, source)) }).toEqual({ key, exists: true });
      expect(typeof fn.timeout).toBe('number');
      expect(fn.role).toBe(roleLogicalId(key));
    }
  });
});

describe('functions', () => {
  it('run on nodejs22.x arm64 with their own role, log group and the configuration variables', () => {
    const roles = new Set<string>();
    for (const key of functionKeys) {
      const fn = template.Resources[functionLogicalId(key)];
      expect(fn?.Type).toBe('AWS::Lambda::Function');
      const p = fn!.Properties;
      expect(p.Runtime).toBe('nodejs22.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Handler).toBe(config.functions[key]!.handler);
      expect(p.Timeout).toBe(config.functions[key]!.timeout);
      expect(p.FunctionName).toBe(`${SERVICE}-${STAGE}-${key}`);
      expect(p.Role).toEqual({ 'Fn::GetAtt': [roleLogicalId(key), 'Arn'] });
      roles.add(roleLogicalId(key));
      expect(template.Resources[logGroupLogicalId(key)]?.Properties.LogGroupName).toBe(
        `/aws/lambda/${SERVICE}-${STAGE}-${key}`,
      );
      const env = (p.Environment as JsonObject).Variables as JsonObject;
      expect(env).toMatchObject({
        GHES_OPS_STAGE: STAGE,
        GHES_OPS_RUNNER: 'ssm',
        GHES_OPS_PRIMARY: DEFAULT_PRIMARY,
        GHES_OPS_REPLICA: '',
        GHES_OPS_MAIL_FROM: expect.stringContaining('@'),
        GHES_OPS_NOTIFY: expect.any(String),
        GHES_OPS_PARAMETER_PREFIX: `/ghes-ops/${STAGE}`,
        GHES_OPS_COMMAND_OUTPUT_BUCKET: '',
        GHES_OPS_SES_CONFIGURATION_SET: '',
        LOG_LEVEL: expect.any(String),
      });
      // The ARN is built from the fixed name (no Ref to the state machine: no circular dependency).
      const machines = (env.GHES_OPS_STATE_MACHINES as JsonObject)['Fn::Sub'] as string;
      expect(JSON.parse(machines)).toEqual({
        'support-bundle': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${SERVICE}-${STAGE}-support-bundle`,
        'actions-sync': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${SERVICE}-${STAGE}-actions-sync`,
        'custom-email-verification': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${SERVICE}-${STAGE}-custom-email-verification`,
      });
    }
    expect(roles.size).toBe(functionKeys.length);
    // No shared default role.
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('have timeouts no longer than their Task states allow', () => {
    let checked = 0;
    const tasks = [
      ...taskStates(deployedDefinition(template)),
      ...taskStates(deployedDefinition(template, 'FailoverStateMachine')),
      ...taskStates(deployedDefinition(template, 'CustomEmailVerificationStateMachine')),
      ...RUNBOOK_MACHINES.flatMap(([, id]) => taskStates(deployedDefinition(template, id))),
    ];
    for (const [state, task] of tasks) {
      const logicalId = invokedLogicalId(task);
      const key = functionKeys.find((k) => functionLogicalId(k) === logicalId);
      if (!key || task.TimeoutSeconds === undefined) continue;
      checked++;
      expect({
        state,
        lambdaTimeout: config.functions[key]!.timeout! <= (task.TimeoutSeconds as number),
      }).toEqual({
        state,
        lambdaTimeout: true,
      });
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('ship one minified ESM .mjs bundle under 1 MB each, importable with no environment', () => {
    for (const key of functionKeys) {
      const zip = join(packaged.outDir, `${key}.zip`);
      const entries = readZip(zip);
      const expected = `${config.functions[key]!.handler.replace(/\.handler$/, '')}.mjs`;
      expect(entries.map((e) => e.name)).toEqual([expected]);
      const code = entries[0]!.data();
      expect(code.length).toBeLessThanOrEqual(1024 * 1024);
      const text = code.toString('utf8');
      // `require` for CommonJS code inside dependencies, made on first call (no node:module at import).
      expect(text.startsWith('let __ghesOpsRequire; const require = (id) =>')).toBe(true);
      // node:timers is the globals (shared/runtime/node-timers.ts), not the built-in module.
      expect(text).not.toMatch(/from\s*["']node:timers["']/);
      expect(text).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // Outside the project: the bundle must need nothing but Node's built-in modules.
      const file = join(extractDir, key, expected);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, code);
      // No AWS call and no configuration read at import time: a bare environment must not throw.
      const run = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(`file://${file}`)}); if (typeof m.handler !== 'function') process.exit(3);`,
        ],
        { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 30_000 },
      );
      expect({ key, status: run.status, stderr: run.stderr }).toEqual({ key, status: 0, stderr: '' });
    }
  });
});

describe('docs/deploy.md "What the stack holds"', () => {
  it('gives the count of each resource type the default packaging has', () => {
    const doc = readFileSync(join(PROJECT_DIR, 'docs', 'deploy.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## What the stack holds'), doc.indexOf('```mermaid'));
    const counts: Record<string, number> = {};
    for (const r of Object.values(template.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    let checked = 0;
    // Rows of one resource type: "| 4 + 7 + 1 | `AWS::CloudWatch::Alarm` | ..." (a sum of its parts).
    for (const [, count, type] of table.matchAll(
      /^\| ([\d +]+?)(?: \([^)]*\))? \| `(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)` \|/gm,
    )) {
      const documented = count!.split('+').reduce((a, n) => a + Number(n.trim()), 0);
      expect({ type, documented }).toEqual({ type, documented: counts[type!] ?? 0 });
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });
});

describe("the bundles' banner", () => {
  it('gives CommonJS code inside dependencies a working require, made on first call', () => {
    const banner = (yamlDoc.toJS() as { custom: { esbuild: { banner: { js: string } } } }).custom.esbuild
      .banner.js;
    const file = join(extractDir, 'banner-check.mjs');
    // What esbuild emits for a CommonJS require inside a bundle, after the banner.
    writeFileSync(
      file,
      `${banner}\nconst before = typeof __ghesOpsRequire;\nexport const seen = [before, require('node:path').sep, require('node:net').isIP('10.0.0.1'), typeof __ghesOpsRequire];`,
    );
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(`file://${file}`)}); console.log(JSON.stringify(m.seen));`,
      ],
      { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(['undefined', '/', 4, 'function']);
  });
});

describe('IAM', () => {
  it('has no Allow statement with a wildcard action, and no NotAction', () => {
    const statements = allStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const { where, statement } of statements) {
      expect({ where, NotAction: statement.NotAction }).toEqual({ where, NotAction: undefined });
      if (statement.Effect !== 'Allow') continue;
      for (const action of asArray(statement.Action)) {
        expect({ where, action, wildcard: action.includes('*') }).toEqual({ where, action, wildcard: false });
      }
    }
  });

  it('denies with a wildcard only to enforce TLS, on the deployment, access-log and service-desk mail buckets', () => {
    const denies = allStatements(template).filter(({ statement }) => statement.Effect === 'Deny');
    expect(denies.map(({ where }) => where.split('.')[0]).sort()).toEqual([
      'AccessLogsBucketPolicy',
      'ServerlessDeploymentBucketPolicy',
      'ServiceDeskMailBucketPolicy',
    ]);
    for (const { statement } of denies) {
      expect(statement.Condition).toEqual({ Bool: { 'aws:SecureTransport': false } });
    }
  });

  it('keeps the records (service desk, GitHub App states and deliveries) in an encrypted, on-demand table with TTL, retained on delete', () => {
    const table = template.Resources.RecordsTable!;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    // Only the desk and GitHub App functions may use it, on the table itself (no index, no scan).
    for (const { where, statement } of allStatements(template)) {
      if (!asArray(statement.Action).some((a) => a.startsWith('dynamodb:'))) continue;
      expect(where.split('.')[0]).toMatch(
        /^(ServiceDesk(Receive|Http|Sla|Survey)|GithubApp(Setup|Redirect|Webhook))Role$/,
      );
      expect(statement.Resource).toEqual([{ 'Fn::GetAtt': ['RecordsTable', 'Arn'] }]);
    }
    for (const fn of [
      'ServiceDeskReceive',
      'ServiceDeskHttp',
      'ServiceDeskSla',
      'ServiceDeskSurvey',
      'GithubAppSetup',
      'GithubAppRedirect',
      'GithubAppWebhook',
    ].map((f) => `${f}LambdaFunction`)) {
      expect(
        (template.Resources[fn]!.Properties.Environment as { Variables: JsonObject }).Variables
          .GHES_OPS_RECORDS_TABLE,
      ).toEqual({ Ref: 'RecordsTable' });
    }
  });

  it('uses Resource "*" only for actions that support no resource-level permissions', () => {
    for (const { where, statement } of allStatements(template)) {
      if (statement.Effect !== 'Allow' || !asArray(statement.Resource).includes('*')) continue;
      for (const action of asArray(statement.Action)) {
        expect({ where, action, allowed: STAR_RESOURCE_ACTIONS.has(action) }).toEqual({
          where,
          action,
          allowed: true,
        });
      }
    }
  });

  it.each(Object.entries(EXPECTED_ACTIONS))('gives %s exactly the actions it needs', (key, extra) => {
    const statements = roleStatements(template, roleLogicalId(key));
    expect(actionsOf(statements)).toEqual([...LOG_ACTIONS, ...extra].sort());
    const role = template.Resources[roleLogicalId(key)]!;
    expect((role.Properties.AssumeRolePolicyDocument as JsonObject).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    // Logs: its own log group only (the LogGroup Arn attribute ends in ":*", covering its streams).
    const logs = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
    expect(logs).toEqual([
      { Effect: 'Allow', Action: LOG_ACTIONS, Resource: [{ 'Fn::GetAtt': [logGroupLogicalId(key), 'Arn'] }] },
    ]);
  });

  it('lets SSM steps send commands only with AWS-RunShellScript and only to their appliance', () => {
    const doc = { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}::document/AWS-RunShellScript' };
    const instance = (id: string): Json => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:instance/${id}`,
    });
    const sendResources = (t: Template, key: string): Json[] =>
      roleStatements(t, roleLogicalId(key))
        .filter((s) => asArray(s.Action).includes('ssm:SendCommand'))
        .flatMap((s) => asArray(s.Resource as Json | Json[]));
    for (const key of [
      'supportBundleStart',
      'supportBundleCheck',
      'tlsCertificateInspect',
      'tlsCertificateRenew',
    ]) {
      expect(sendResources(template, key)).toEqual([doc, instance(DEFAULT_PRIMARY)]);
    }
    // The replication step runs on the replica only; without one, on no instance at all.
    const replicaIf = { 'Fn::If': ['HasReplica', instance(''), { Ref: 'AWS::NoValue' }] };
    expect(sendResources(template, 'supportBundleAttachReplication')).toEqual([doc, replicaIf]);
    // Decided at deploy time on a template parameter whose default is the param (no constant condition).
    const hasReplica = { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ReplicaInstanceId' }, ''] }] };
    expect(template.Conditions?.HasReplica).toEqual(hasReplica);
    expect(template.Parameters?.ReplicaInstanceId).toMatchObject({ Type: 'String', Default: '' });
    expect(conditionTrue(template, 'HasReplica')).toBe(false);
    // With commandOutputBucket set, SendCommand is also authorized against that bucket.
    expect(sendResources(variantTemplate, 'supportBundleAttachReplication')).toEqual([
      doc,
      { 'Fn::If': ['HasReplica', instance(VARIANT.replicaInstanceId), { Ref: 'AWS::NoValue' }] },
      { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${VARIANT.commandOutputBucket}` },
    ]);
    expect(variantTemplate.Conditions?.HasReplica).toEqual(hasReplica);
    expect(variantTemplate.Parameters?.ReplicaInstanceId?.Default).toBe(VARIANT.replicaInstanceId);
    expect(conditionTrue(variantTemplate, 'HasReplica')).toBe(true);
  });

  it('lets the notify step send email only from the sender identity (and configuration set)', () => {
    const ses = (t: Template): Statement[] =>
      roleStatements(t, roleLogicalId('supportBundleNotify')).filter((s) =>
        asArray(s.Action).includes('ses:SendEmail'),
      );
    const [statement] = ses(template);
    const resources = asArray(statement!.Resource as Json | Json[]);
    expect(resources[0]).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/example.com',
    });
    expect(resources[1]).toMatchObject({
      'Fn::If': ['HasSesConfigurationSet', expect.anything(), { Ref: 'AWS::NoValue' }],
    });
    expect(variantTemplate.Conditions?.HasSesConfigurationSet).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SesConfigurationSet' }, ''] }],
    });
    expect(variantTemplate.Parameters?.SesConfigurationSet?.Default).toBe(VARIANT.sesConfigurationSet);
  });

  it.each([
    ['SupportBundleStateMachineRole', () => functionKeys.filter((k) => k.startsWith('supportBundle'))],
    ['FailoverStateMachineRole', () => FAILOVER_STEP_FUNCTIONS],
    [
      'CustomEmailVerificationStateMachineRole',
      () => functionKeys.filter((k) => k.startsWith('customEmail')),
    ],
    ...RUNBOOK_MACHINES.map(
      ([, id, prefix]) => [`${id}Role`, () => functionKeys.filter((k) => k.startsWith(prefix))] as const,
    ),
  ])('lets %s invoke only its own functions', (roleId, keys) => {
    const statements = roleStatements(template, roleId);
    const invoke = statements.filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(asArray(invoke[0]!.Action)).toEqual(['lambda:InvokeFunction']);
    const targets = new Set(
      asArray(invoke[0]!.Resource as Json | Json[]).map(
        (r) => JSON.stringify(r).match(/"([A-Za-z]+LambdaFunction)"/)?.[1],
      ),
    );
    expect([...targets].sort()).toEqual(keys().map(functionLogicalId).sort());
  });
});

describe('state machine', () => {
  it('is the STANDARD support-bundle workflow defined by the ASL file, with Lambda ARNs resolved by Fn::GetAtt', () => {
    const sm = template.Resources.SupportBundleStateMachine;
    expect(sm?.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(sm!.Properties.StateMachineName).toBe(`${SERVICE}-${STAGE}-support-bundle`);
    expect(sm!.Properties.StateMachineType).toBe('STANDARD');
    expect(sm!.Properties.RoleArn).toEqual({ 'Fn::GetAtt': ['SupportBundleStateMachineRole', 'Arn'] });
    const deployed = deployedDefinition(template);
    expect(withoutJsonPathQueryLanguage(deployed)).toEqual(
      withoutJsonPathQueryLanguage(expectedDefinition(functionKeys)),
    );
    // JSONPath only (the local engine cannot run JSONata).
    expect(JSON.stringify(deployed)).not.toContain('JSONata');
    // Every support-bundle function is used by the workflow.
    const invoked = new Set(taskStates(deployed).map(([, s]) => invokedLogicalId(s)));
    expect([...invoked].sort()).toEqual(
      functionKeys
        .filter((k) => k.startsWith('supportBundle'))
        .map(functionLogicalId)
        .sort(),
    );
  });

  it('logs every transition, without execution data, to its own log group', () => {
    const sm = template.Resources.SupportBundleStateMachine!;
    expect(sm.Properties.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: false,
      Destinations: [
        {
          CloudWatchLogsLogGroup: {
            LogGroupArn: { 'Fn::GetAtt': ['SupportBundleStateMachineLogGroup', 'Arn'] },
          },
        },
      ],
    });
    const group = template.Resources.SupportBundleStateMachineLogGroup!;
    expect(group.Type).toBe('AWS::Logs::LogGroup');
    expect(group.Properties.LogGroupName).toBe(`/aws/vendedlogs/states/${SERVICE}-${STAGE}-support-bundle`);
    expect(typeof group.Properties.RetentionInDays).toBe('number');
  });

  it('exports its ARN', () => {
    const outputs = template.Outputs ?? {};
    const exported = Object.values(outputs).filter(
      (o) => JSON.stringify(o.Value) === JSON.stringify({ Ref: 'SupportBundleStateMachine' }),
    );
    expect(exported.length).toBeGreaterThanOrEqual(1);
    expect(exported[0]!.Export).toBeDefined();
  });

  it('has an EventBridge Scheduler schedule, disabled by default, that starts it with a primary-scope input', () => {
    const schedules = (t: Template): [string, Resource][] =>
      Object.entries(t.Resources).filter(
        ([, r]) =>
          r.Type === 'AWS::Scheduler::Schedule' &&
          JSON.stringify((r.Properties.Target as JsonObject | undefined)?.Arn) ===
            JSON.stringify({ Ref: 'SupportBundleStateMachine' }),
      );
    const [[, schedule]] = schedules(template) as [[string, Resource]];
    expect(schedules(template)).toHaveLength(1);
    // EventBridge rules belong to the failover only (alarm trigger, execution-ended handler).
    expect(
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::Events::Rule')
        .map(([id]) => id)
        .every((id) => id.startsWith('Failover')),
    ).toBe(true);
    expect(schedule.Properties.State).toBe('DISABLED');
    expect(schedule.Properties.ScheduleExpression).toMatch(/^(rate|cron)\(.+\)$/);
    const target = schedule.Properties.Target as JsonObject;
    expect(target.Arn).toEqual({ Ref: 'SupportBundleStateMachine' });
    expect(JSON.parse(target.Input as string)).toEqual({ ticket: expect.any(String), scope: 'primary' });
    // Its role may only start this state machine.
    const roleId = ((target.RoleArn as JsonObject)['Fn::GetAtt'] as string[])[0]!;
    const statements = roleStatements(template, roleId);
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['states:StartExecution'], Resource: { Ref: 'SupportBundleStateMachine' } },
    ]);
    // Enabled with --param=scheduleEnabled=true, with the ticket from --param=scheduleTicket=...
    const [[, enabled]] = schedules(variantTemplate) as [[string, Resource]];
    expect(enabled.Properties.State).toBe('ENABLED');
    expect(JSON.parse((enabled.Properties.Target as JsonObject).Input as string)).toEqual({
      ticket: VARIANT.scheduleTicket,
      scope: 'primary',
    });
  });
});

describe('failover', () => {
  const instance = (id: string): Json => ({
    'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:instance/${id}`,
  });
  const statementsWith = (t: Template, key: string, action: string): Statement[] =>
    roleStatements(t, roleLogicalId(key)).filter((s) => asArray(s.Action).includes(action));

  it('is the STANDARD failover state machine defined by the ASL file, logging errors only', () => {
    const sm = template.Resources.FailoverStateMachine;
    expect(sm?.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(sm!.Properties.StateMachineName).toBe(`${SERVICE}-${STAGE}-failover`);
    expect(sm!.Properties.StateMachineType).toBe('STANDARD');
    const deployed = deployedDefinition(template, 'FailoverStateMachine');
    expect(withoutJsonPathQueryLanguage(deployed)).toEqual(
      withoutJsonPathQueryLanguage(expectedDefinition(functionKeys, FAILOVER_ASL_FILE)),
    );
    const invoked = new Set(taskStates(deployed).map(([, s]) => invokedLogicalId(s)));
    expect([...invoked].sort()).toEqual(FAILOVER_STEP_FUNCTIONS.map(functionLogicalId).sort());
    expect((sm!.Properties.LoggingConfiguration as JsonObject).IncludeExecutionData).toBe(false);
  });

  it('lets every appliance step send commands with AWS-RunShellScript to the two appliances only', () => {
    const doc = { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}::document/AWS-RunShellScript' };
    for (const key of [
      'failoverPreflight',
      'failoverObserve',
      'failoverHooks',
      'failoverFence',
      'failoverCheckDrain',
      'failoverPromoteStart',
      'failoverPromoteCheck',
      'failoverVerify',
      'failoverTeardown',
      'failoverRestore',
      'failoverExecutionEnded',
    ]) {
      const resources = statementsWith(variantTemplate, key, 'ssm:SendCommand').flatMap((s) =>
        asArray(s.Resource as Json | Json[]),
      );
      expect({ key, resources }).toEqual({
        key,
        resources: [
          doc,
          instance(DEFAULT_PRIMARY),
          { 'Fn::If': ['HasReplica', instance(VARIANT.replicaInstanceId), { Ref: 'AWS::NoValue' }] },
          { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${VARIANT.commandOutputBucket}` },
        ],
      });
    }
    // EC2 StopInstances only on the configured primary.
    expect(statementsWith(template, 'failoverFence', 'ec2:StopInstances')).toEqual([
      { Effect: 'Allow', Action: ['ec2:StopInstances'], Resource: [instance(DEFAULT_PRIMARY)] },
    ]);
  });

  it('limits Route 53 to the configured hosted zone and ELBv2 to the configured target group', () => {
    expect(
      statementsWith(variantTemplate, 'failoverSwitchTraffic', 'route53:ChangeResourceRecordSets'),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: ['route53:ChangeResourceRecordSets'],
        Resource: [
          { 'Fn::Sub': `arn:\${AWS::Partition}:route53:::hostedzone/${VARIANT.failoverHostedZoneId}` },
        ],
      },
    ]);
    expect(
      statementsWith(variantTemplate, 'failoverSwitchTraffic', 'elasticloadbalancing:RegisterTargets'),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        Resource: [{ Ref: 'FailoverTargetGroupArn' }],
      },
    ]);
    // (X-Ray writes are on in the variant: every role has them; the ENI actions of the VPC too, since
    // CheckTraffic polls https://<hostname>/status for manual traffic.)
    expect(
      actionsOf(roleStatements(variantTemplate, roleLogicalId('failoverCheckTraffic'))).filter(
        (a) => !a.startsWith('xray:') && !a.startsWith('ec2:'),
      ),
    ).toEqual([...LOG_ACTIONS, 'route53:GetChange', 'elasticloadbalancing:DescribeTargetHealth'].sort());
    // Preflight reads the same record and target group before anything changes: read actions only.
    expect(statementsWith(variantTemplate, 'failoverPreflight', 'route53:ListResourceRecordSets')).toEqual([
      {
        Effect: 'Allow',
        Action: ['route53:ListResourceRecordSets'],
        Resource: [
          { 'Fn::Sub': `arn:\${AWS::Partition}:route53:::hostedzone/${VARIANT.failoverHostedZoneId}` },
        ],
      },
    ]);
    expect(
      actionsOf(roleStatements(variantTemplate, roleLogicalId('failoverPreflight'))).filter(
        (a) => !a.startsWith('xray:') && !a.startsWith('ec2:') && !a.startsWith('kms:'),
      ),
    ).toEqual(
      [
        ...LOG_ACTIONS,
        'ssm:SendCommand',
        'ssm:GetCommandInvocation',
        'ssm:CancelCommand',
        'route53:ListResourceRecordSets',
        'elasticloadbalancing:DescribeTargetHealth',
      ].sort(),
    );
  });

  it('keeps the lock, anti-flapping and approval parameters to the steps that need them', () => {
    const param = (suffix: string): Json => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ghes-ops/${STAGE}/failover/${suffix}`,
    });
    expect(statementsWith(template, 'failoverLock', 'ssm:PutParameter')[0]!.Resource).toEqual([
      param('lock'),
    ]);
    expect(statementsWith(template, 'failoverRequestApproval', 'ssm:PutParameter')[0]!.Resource).toEqual([
      param('approvals/*'),
    ]);
    // No resource types for SendTaskSuccess/Failure in the IAM reference: "*" (the token limits them).
    expect(statementsWith(template, 'failoverApprovalLink', 'states:SendTaskSuccess')[0]!.Resource).toBe('*');
  });

  it('keeps each operator wait to its own workflow: approvals under <workflow>/approvals/*, the link reads exactly those', () => {
    const approvals = (workflow: string): Json => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ghes-ops/${STAGE}/${workflow}/approvals/*`,
    });
    expect(
      statementsWith(template, 'jiraPrefixListRequestApproval', 'ssm:PutParameter')[0]!.Resource,
    ).toEqual([approvals('jira-prefix-list')]);
    expect(
      statementsWith(template, 'tlsCertificateRequestApproval', 'ssm:PutParameter')[0]!.Resource,
    ).toEqual([approvals('tls-certificate')]);
    expect(statementsWith(template, 'failoverApprovalLink', 'ssm:DeleteParameter')[0]!.Resource).toEqual([
      approvals('failover'),
      approvals('jira-prefix-list'),
      approvals('tls-certificate'),
    ]);
  });

  it('starts an unplanned failover with approval on the primary health alarm, disabled by default', () => {
    const rules = (t: Template): Resource[] =>
      Object.values(t.Resources).filter(
        (r) =>
          r.Type === 'AWS::Events::Rule' &&
          JSON.stringify(r.Properties.Targets).includes('"Ref":"FailoverStateMachine"'),
      );
    const [rule] = rules(template);
    expect(rules(template)).toHaveLength(1);
    expect(rule!.Properties.State).toBe('DISABLED');
    expect(rule!.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['ghes-primary-health'], state: { value: ['ALARM'] } },
    });
    const transformer = (rule!.Properties.Targets as JsonObject[])[0]!.InputTransformer as JsonObject;
    const input = JSON.parse(
      (transformer.InputTemplate as string)
        .replace('<alarm>', 'x')
        .replace('"alarmName":<alarm>', '"alarmName":"a"')
        .replace('<time>', '"2026-01-01T00:00:00Z"')
        .replace('<stateReason>', JSON.stringify('Threshold Crossed: 1 datapoint [0.0] < 1.0')),
    ) as JsonObject;
    expect(transformer.InputPathsMap).toMatchObject({ stateReason: '$.detail.state.reason' });
    expect(input).toMatchObject({
      mode: 'unplanned',
      requireApproval: true,
      trigger: { source: 'alarm', reason: 'Threshold Crossed: 1 datapoint [0.0] < 1.0' },
    });
    expect(rules(variantTemplate)[0]!.Properties.State).toBe('ENABLED');
  });

  it('releases locks of aborted or timed-out executions through an EventBridge rule', () => {
    const rule = template.Resources.FailoverExecutionEndedRule!;
    expect(rule.Properties.EventPattern).toMatchObject({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
    });
    expect((rule.Properties.Targets as JsonObject[])[0]!.Arn).toEqual({
      'Fn::GetAtt': ['FailoverExecutionEndedLambdaFunction', 'Arn'],
    });
    expect(template.Resources.FailoverExecutionEndedPermission?.Properties).toMatchObject({
      Principal: 'events.amazonaws.com',
    });
  });

  it('serves the approval link on an HTTP API (GET page, POST decision)', () => {
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey as string)
      .filter((k) => k.includes('/approvals/'))
      .sort();
    expect(routes).toEqual(
      ['failover', 'jira-prefix-list', 'tls-certificate']
        .flatMap((w) => [`GET /${w}/approvals/{execution}`, `POST /${w}/approvals/{execution}`])
        .sort(),
    );
  });
});

describe('GitHub App (issue 6)', () => {
  const APP_FUNCTIONS = ['githubAppSetup', 'githubAppRedirect', 'githubAppWebhook'];

  it('serves the setup page, the manifest redirect and the webhooks on the HTTP API', () => {
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey as string)
      .filter((k) => k.includes('/github-app/'))
      .sort();
    expect(routes).toEqual([
      'GET /github-app/redirect',
      'GET /github-app/setup',
      'POST /github-app/webhooks',
    ]);
  });

  it('gives the app functions the GHES URL, the public URL of the HTTP API and the app settings', () => {
    for (const key of APP_FUNCTIONS) {
      const env = (template.Resources[functionLogicalId(key)]!.Properties.Environment as JsonObject)
        .Variables as JsonObject;
      expect(env).toMatchObject({
        GHES_OPS_GHES_URL: '',
        GHES_OPS_APP_NAME: 'ghes-ops',
        GHES_OPS_APP_ORG: '',
        GHES_OPS_APP_FEATURES: 'service-desk,actions-sync',
      });
      expect(JSON.stringify(env.GHES_OPS_PUBLIC_URL)).toContain('HttpApi');
    }
  });

  it('limits the app roles to the credentials parameters', () => {
    const resources = (key: string): string[] =>
      roleStatements(template, roleLogicalId(key))
        .filter((s) => asArray(s.Action).some((a) => a.startsWith('ssm:')))
        .flatMap((s) => asArray(s.Resource as Json | Json[]))
        .map((r) => JSON.stringify(r));
    const param = (suffix: string): string =>
      JSON.stringify({
        'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ghes-ops/${STAGE}/github-app/${suffix}`,
      });
    // The one-time setup states live in the records table (they expire by themselves).
    expect(resources('githubAppSetup')).toEqual([]);
    expect(resources('githubAppRedirect')).toEqual([param('credentials/*')]);
    expect(resources('githubAppWebhook')).toEqual([param('credentials/*')]);
  });
});

describe('actions-sync', () => {
  const scheduled = (t: Template): Resource[] =>
    Object.values(t.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');

  it('is a STANDARD state machine logging errors only, with a nightly schedule disabled by default', () => {
    const sm = template.Resources.ActionsSyncStateMachine!;
    expect(sm.Type).toBe('AWS::StepFunctions::StateMachine');
    const nightly = scheduled(template).find(
      (r) =>
        JSON.stringify((r.Properties.Target as JsonObject).Arn) ===
        JSON.stringify({ Ref: 'ActionsSyncStateMachine' }),
    )!;
    expect(nightly.Properties.State).toBe('DISABLED');
    expect(nightly.Properties.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(JSON.parse((nightly.Properties.Target as JsonObject).Input as string)).toEqual({
      reason: 'nightly schedule',
    });
  });

  it('lets only the upgrade watch start actions-sync, and only that state machine', () => {
    const statements = roleStatements(template, 'ActionsSyncWatchUpgradeRole');
    const start = statements.filter((st) => [st.Action].flat().includes('states:StartExecution'));
    expect(start).toHaveLength(1);
    expect(JSON.stringify(start[0]!.Resource)).toContain(`stateMachine:ghes-ops-${STAGE}-actions-sync`);
  });

  it('keeps the token parameters to the preflight (the token never goes to the sync steps)', () => {
    for (const role of ['ActionsSyncStartRole', 'ActionsSyncCheckRole', 'ActionsSyncReportRole'])
      expect(JSON.stringify(roleStatements(template, role))).not.toContain('actions-sync/token');
    expect(JSON.stringify(roleStatements(template, 'ActionsSyncPreflightRole'))).toContain(
      'actions-sync/token',
    );
  });
});

describe('custom email verification (issue 5)', () => {
  const param = (suffix: string): Json => ({
    'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ghes-ops/${STAGE}/service-desk/${suffix}`,
  });
  const machine = {
    'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${SERVICE}-${STAGE}-custom-email-verification`,
  };
  const statementsWith = (key: string, action: string): Statement[] =>
    roleStatements(template, roleLogicalId(key)).filter((s) => asArray(s.Action).includes(action));

  it('is the STANDARD state machine of the ASL file, logging every transition without execution data', () => {
    const sm = template.Resources.CustomEmailVerificationStateMachine!;
    expect(sm.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(sm.Properties.StateMachineName).toBe(`${SERVICE}-${STAGE}-custom-email-verification`);
    expect(sm.Properties.StateMachineType).toBe('STANDARD');
    const deployed = deployedDefinition(template, 'CustomEmailVerificationStateMachine');
    expect(withoutJsonPathQueryLanguage(deployed)).toEqual(
      withoutJsonPathQueryLanguage(expectedDefinition(functionKeys, CUSTOM_EMAIL_ASL_FILE)),
    );
    expect(sm.Properties.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: false,
      Destinations: [
        {
          CloudWatchLogsLogGroup: {
            LogGroupArn: { 'Fn::GetAtt': ['CustomEmailVerificationStateMachineLogGroup', 'Arn'] },
          },
        },
      ],
    });
    // The wait is a callback with the 30-minute timeout.
    const wait = (deployed.States as Record<string, JsonObject>).SendAndWaitForForwardedMail!;
    expect(wait.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(wait.TimeoutSeconds).toBe(1800);
  });

  it('keeps each step to the custom email parameters, and the resume/start rights to this state machine', () => {
    for (const key of ['customEmailStart', 'customEmailSend', 'customEmailCheck', 'customEmailFinish']) {
      const resources = statementsWith(key, 'ssm:GetParameter').flatMap((s) =>
        asArray(s.Resource as Json | Json[]),
      );
      expect({ key, resources }).toEqual({ key, resources: [param('custom-email/*')] });
    }
    expect(statementsWith('customEmailStart', 'states:DescribeExecution')[0]!.Resource).toEqual([
      {
        'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${SERVICE}-${STAGE}-custom-email-verification:*`,
      },
    ]);
    expect(statementsWith('serviceDeskReceive', 'states:SendTaskSuccess')[0]!.Resource).toBe('*');
    expect(statementsWith('serviceDeskHttp', 'states:StartExecution')[0]!.Resource).toEqual([machine]);
    for (const key of ['customEmailStart', 'customEmailSend', 'customEmailCheck', 'customEmailFinish']) {
      const env = (template.Resources[functionLogicalId(key)]!.Properties.Environment as JsonObject)
        .Variables as JsonObject;
      expect(JSON.parse(env.GHES_OPS_SERVICE_DESK as string)).toMatchObject({ local: 'support' });
    }
  });

  it('serves the verify trigger on the HTTP API', () => {
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey as string)
      .filter((k) => k.includes('/custom-email/'));
    expect(routes).toEqual(['POST /service-desk/custom-email/{project}/verify']);
  });
});

describe('deployable in a private network (issue 13)', () => {
  const KEY = VARIANT.kmsKeyArn;
  const fnOf = (t: Template, key: string): Resource => t.Resources[functionLogicalId(key)]!;
  const ofType = (t: Template, type: string): [string, Resource][] =>
    Object.entries(t.Resources).filter(([, r]) => r.Type === type);
  const hardening = (yamlDoc.toJS() as { custom: { hardening: { ghesCallers: string[] } } }).custom.hardening;

  /**
   * The functions that open connections to GHES, derived from what they are: their wiring uses an
   * adapter that calls GHES (appliance HTTPS, the REST API, service desk tickets, the TLS probe), or their role
   * reaches the GitHub App's credentials (whose only use is acting as the app on GHES).
   */
  const GHES_ADAPTERS = new Set(['http', 'ghesApi', 'tickets', 'tlsProbe']);
  let derivedCallers: string[];
  beforeAll(async () => {
    derivedCallers = [];
    for (const key of functionKeys) {
      const file = join(PROJECT_DIR, config.functions[key]!.handler.replace(/\.handler$/, '.ts'));
      const { handler } = (await import(file)) as { handler: { wiring: readonly string[] } };
      const appCredentials = JSON.stringify(roleStatements(template, roleLogicalId(key))).includes(
        '/github-app/credentials/',
      );
      if (handler.wiring.some((a) => GHES_ADAPTERS.has(a)) || appCredentials) derivedCallers.push(key);
    }
  }, 60_000);

  it("gives each optional configuration part's variable exactly to the functions whose handler declares the part", async () => {
    const yml = yamlDoc.toJS() as { functions: Record<string, { environment?: Record<string, unknown> }> };
    // deployProbe: GHES_OPS_GHES_URL is read by the probe itself, GHES_OPS_SERVICE_DESK by the doctor.
    const readByOthers: Record<string, string[]> = { deployProbe: ['githubApp', 'serviceDesk'] };
    const seen: Record<string, { variables: string[]; declared: string[] }> = {};
    for (const key of functionKeys) {
      const file = join(PROJECT_DIR, config.functions[key]!.handler.replace(/\.handler$/, '.ts'));
      const { handler } = (await import(file)) as { handler: { configParts: readonly string[] } };
      const env = yml.functions[key]!.environment ?? {};
      const variables = Object.entries(CONFIG_PART_VARIABLES)
        .filter(([part, variable]) => variable in env && !(readByOthers[key] ?? []).includes(part))
        .map(([part]) => part);
      seen[key] = { variables: variables.sort(), declared: [...handler.configParts].sort() };
    }
    for (const key of functionKeys)
      expect({ key, ...seen[key]! }).toEqual({
        key,
        variables: seen[key]!.declared,
        declared: seen[key]!.declared,
      });
    expect(seen.serviceDeskReceive!.declared).toEqual(['githubApp', 'serviceDesk']);
    expect(seen.customEmailSend!.declared).toEqual(['serviceDesk']);
    expect(seen.deployProbe!.declared).toEqual([]);
  }, 60_000);

  it('lists in custom.hardening.ghesCallers exactly the functions whose wiring or role calls GHES', () => {
    expect([...hardening.ghesCallers].sort()).toEqual([...derivedCallers].sort());
    // The customer's SMTP server is on the internet, not GHES: the custom email send stays outside.
    expect(derivedCallers).not.toContain('customEmailSend');
    expect(derivedCallers).toContain('deployProbe');
  });

  it('runs exactly the GHES-calling functions in the VPC subnets when the params are set, and none by default', () => {
    for (const key of functionKeys) {
      expect({ key, vpc: fnOf(template, key).Properties.VpcConfig }).toEqual({ key, vpc: undefined });
      const vpc = fnOf(variantTemplate, key).Properties.VpcConfig;
      expect({ key, vpc }).toEqual({
        key,
        vpc: derivedCallers.includes(key)
          ? { SubnetIds: { Ref: 'VpcSubnetIds' }, SecurityGroupIds: { Ref: 'VpcSecurityGroupIds' } }
          : undefined,
      });
    }
    expect(variantTemplate.Parameters?.VpcSubnetIds).toMatchObject({
      Type: 'List<AWS::EC2::Subnet::Id>',
      Default: VARIANT.vpcSubnetIds,
    });
    expect(variantTemplate.Parameters?.VpcSecurityGroupIds).toMatchObject({
      Type: 'List<AWS::EC2::SecurityGroup::Id>',
      Default: VARIANT.vpcSecurityGroupIds,
    });
    expect(template.Parameters?.VpcSubnetIds).toBeUndefined();
  });

  it('lets only the VPC functions manage network interfaces, in the configured subnets and groups', () => {
    const ec2 = (t: Template, key: string): Statement[] =>
      roleStatements(t, roleLogicalId(key)).filter((s) =>
        asArray(s.Action).some((a) => /^ec2:[A-Za-z]*(NetworkInterface|PrivateIpAddresses)/.test(a)),
      );
    const arn = (what: string): Json => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${what}`,
    });
    for (const key of functionKeys) {
      expect({ key, ec2: ec2(template, key) }).toEqual({ key, ec2: [] });
      if (!derivedCallers.includes(key)) {
        expect({ key, ec2: ec2(variantTemplate, key) }).toEqual({ key, ec2: [] });
        continue;
      }
      expect(ec2(variantTemplate, key)).toEqual([
        {
          Effect: 'Allow',
          Action: ['ec2:CreateNetworkInterface'],
          Resource: [
            arn('network-interface/*'),
            arn('subnet/subnet-0abc'),
            arn('subnet/subnet-0def'),
            arn('security-group/sg-0abc'),
          ],
        },
        {
          Effect: 'Allow',
          Action: [
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Resource: [arn('network-interface/*')],
        },
        { Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
      ]);
    }
  });

  /** Functions invoked asynchronously: targets of schedules, EventBridge rules and SES Lambda actions. */
  const asyncFunctions = (t: Template): string[] => {
    const ids = new Set<string>();
    const lambda = (arn: Json | undefined): void => {
      const id = ((arn as JsonObject | undefined)?.['Fn::GetAtt'] as string[] | undefined)?.[0];
      if (id && t.Resources[id]?.Type === 'AWS::Lambda::Function') ids.add(id);
    };
    for (const [, r] of ofType(t, 'AWS::Scheduler::Schedule'))
      lambda((r.Properties.Target as JsonObject).Arn);
    for (const [, r] of ofType(t, 'AWS::Events::Rule'))
      for (const target of r.Properties.Targets as JsonObject[]) lambda(target.Arn);
    for (const [, r] of ofType(t, 'AWS::SES::ReceiptRule'))
      for (const action of (r.Properties.Rule as JsonObject).Actions as JsonObject[])
        if (action.LambdaAction && (action.LambdaAction as JsonObject).InvocationType === 'Event')
          lambda((action.LambdaAction as JsonObject).FunctionArn);
    return functionKeys.filter((k) => ids.has(functionLogicalId(k)));
  };

  it('gives every asynchronously invoked function a dead-letter queue (14 days), sendable by its role only, with an alarm', () => {
    for (const t of [template, variantTemplate]) {
      const keys = asyncFunctions(t);
      // (New scheduled or event-driven functions join this list by themselves.)
      expect(keys).toEqual(
        expect.arrayContaining(['actionsSyncWatchUpgrade', 'failoverExecutionEnded', 'serviceDeskReceive']),
      );
      for (const key of functionKeys) {
        const dlq = fnOf(t, key).Properties.DeadLetterConfig as JsonObject | undefined;
        if (!keys.includes(key)) {
          expect({ key, dlq }).toEqual({ key, dlq: undefined });
          continue;
        }
        const queueId = `${upperFirst(key)}DeadLetterQueue`;
        expect(dlq).toEqual({ TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
        const queue = t.Resources[queueId]!;
        expect(queue.Type).toBe('AWS::SQS::Queue');
        expect(queue.Properties).toMatchObject({
          QueueName: `${SERVICE}-${STAGE}-${key}-dlq`,
          MessageRetentionPeriod: 1209600,
        });
        const senders = allStatements(t).filter(({ statement }) =>
          asArray(statement.Action).includes('sqs:SendMessage'),
        );
        expect(
          senders
            .filter(({ statement }) => JSON.stringify(statement.Resource).includes(`"${queueId}"`))
            .map(({ where }) => where.split('.')[0]),
        ).toEqual([roleLogicalId(key)]);
        const alarm = t.Resources[`${upperFirst(key)}DeadLetterAlarm`]!;
        expect(alarm.Properties).toMatchObject({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [{ Ref: 'AlarmTopic' }],
        });
      }
    }
  });

  it('alarms on failed or timed-out executions of every state machine, to a topic mailed to the alarm addresses', () => {
    for (const t of [template, variantTemplate]) {
      const machines = ofType(t, 'AWS::StepFunctions::StateMachine');
      expect(machines.length).toBeGreaterThanOrEqual(4);
      for (const [id] of machines) {
        const alarm = t.Resources[`${id}FailedAlarm`]!;
        expect(alarm.Type).toBe('AWS::CloudWatch::Alarm');
        const metrics = alarm.Properties.Metrics as JsonObject[];
        expect(
          metrics.map((m) => ((m.MetricStat as JsonObject | undefined)?.Metric as JsonObject)?.MetricName),
        ).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut', undefined]);
        for (const m of metrics.slice(0, 2))
          expect(((m.MetricStat as JsonObject).Metric as JsonObject).Dimensions).toEqual([
            { Name: 'StateMachineArn', Value: { Ref: id } },
          ]);
        expect(alarm.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      }
      expect(t.Resources.AlarmTopic?.Type).toBe('AWS::SNS::Topic');
      expect(t.Resources.AlarmTopicSubscription0?.Properties).toEqual({
        TopicArn: { Ref: 'AlarmTopic' },
        Protocol: 'email',
        Endpoint: 'ops@example.com',
      });
    }
  });

  it("counts the desk's held and dropped mail from its log lines, and alarms on held mail", () => {
    const desk = readFileSync(join(PROJECT_DIR, 'shared', 'service-desk', 'desk.ts'), 'utf8');
    for (const t of [template, variantTemplate]) {
      for (const [what, level, message] of [
        ['Held', 'warn', 'service desk: mail held'],
        ['Dropped', 'warn', 'service desk: mail dropped'],
      ] as const) {
        const filter = t.Resources[`ServiceDeskMail${what}MetricFilter`]!;
        expect(filter.Type).toBe('AWS::Logs::MetricFilter');
        expect(filter.Properties).toEqual({
          LogGroupName: { Ref: 'ServiceDeskReceiveLogGroup' },
          FilterPattern: `{ $.message = "${message}" }`,
          MetricTransformations: [
            {
              MetricNamespace: `${SERVICE}/${STAGE}`,
              MetricName: `ServiceDeskMail${what}`,
              MetricValue: '1',
              Unit: 'Count',
            },
          ],
        });
        // The desk logs exactly that message (the logger writes it as the JSON field "message").
        expect(desk).toContain(`log.${level}('${message}'`);
      }
      expect(t.Resources.ServiceDeskReceiveLogGroup?.Type).toBe('AWS::Logs::LogGroup');
      expect(t.Resources.ServiceDeskMailHeldAlarm?.Properties).toMatchObject({
        Namespace: `${SERVICE}/${STAGE}`,
        MetricName: 'ServiceDeskMailHeld',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
    }
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).warn('service desk: mail held', {
      reason: 'sender-burst-limit',
    });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', message: 'service desk: mail held' });
  });

  it('gives every schedule a role that trusts the scheduler and may invoke only its target', () => {
    for (const t of [template, variantTemplate]) {
      const schedules = ofType(t, 'AWS::Scheduler::Schedule');
      expect(schedules.length).toBeGreaterThanOrEqual(3);
      for (const [id, s] of schedules) {
        const target = s.Properties.Target as JsonObject;
        const roleId = ((target.RoleArn as JsonObject)['Fn::GetAtt'] as string[])[0]!;
        const role = t.Resources[roleId]!;
        const trust = (role.Properties.AssumeRolePolicyDocument as JsonObject)
          .Statement as unknown as Statement[];
        expect({ id, principals: trust.map((st) => st.Principal) }).toEqual({
          id,
          principals: [{ Service: 'scheduler.amazonaws.com' }],
        });
        const statements = roleStatements(t, roleId);
        expect(statements).toHaveLength(1);
        expect(asArray(statements[0]!.Action)).toEqual([
          JSON.stringify(target.Arn).includes('StateMachine')
            ? 'states:StartExecution'
            : 'lambda:InvokeFunction',
        ]);
        expect(asArray(statements[0]!.Resource as Json)).toEqual([target.Arn]);
      }
    }
  });

  it('encrypts every log group, queue, topic, table and bucket with the KMS key when it is set (none by default)', () => {
    const encryptedWith = (t: Template): Record<string, Json | undefined> => {
      const out: Record<string, Json | undefined> = {};
      for (const [id, r] of Object.entries(t.Resources)) {
        const p = r.Properties ?? {};
        if (r.Type === 'AWS::Logs::LogGroup') out[id] = p.KmsKeyId;
        else if (r.Type === 'AWS::SQS::Queue' || r.Type === 'AWS::SNS::Topic') out[id] = p.KmsMasterKeyId;
        else if (r.Type === 'AWS::DynamoDB::Table')
          out[id] = (p.SSESpecification as JsonObject | undefined)?.KMSMasterKeyId;
        else if (r.Type === 'AWS::S3::Bucket')
          out[id] = (
            ((p.BucketEncryption as JsonObject).ServerSideEncryptionConfiguration as JsonObject[])[0]!
              .ServerSideEncryptionByDefault as JsonObject
          ).KMSMasterKeyID;
      }
      return out;
    };
    const withKey = encryptedWith(variantTemplate);
    expect(Object.keys(withKey).length).toBeGreaterThan(45);
    for (const [id, key] of Object.entries(withKey))
      // S3 delivers server access logs only to SSE-S3 buckets.
      expect({ id, key }).toEqual({ id, key: id === 'AccessLogsBucket' ? undefined : KEY });
    for (const [id, key] of Object.entries(encryptedWith(template)))
      expect({ id, key }).toEqual({ id, key: undefined });
    expect(variantTemplate.Resources.RecordsTable!.Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: KEY,
    });
    // SecureStrings the functions write use the key.
    for (const key of functionKeys)
      expect(
        ((fnOf(variantTemplate, key).Properties.Environment as JsonObject).Variables as JsonObject)
          .GHES_OPS_KMS_KEY_ID,
      ).toBe(KEY);
  });

  it('grants each function role exactly the kms: actions its permissions imply, on the key only', () => {
    const NEEDS: Record<string, string[]> = {
      'ssm:GetParameter': ['kms:Decrypt'],
      'ssm:PutParameter': ['kms:Encrypt'],
      's3:GetObject': ['kms:Decrypt'],
      's3:PutObject': ['kms:GenerateDataKey'],
      'sqs:SendMessage': ['kms:GenerateDataKey', 'kms:Decrypt'],
    };
    for (const key of functionKeys) {
      const statements = roleStatements(variantTemplate, roleLogicalId(key));
      const others = actionsOf(statements).filter((a) => !a.startsWith('kms:'));
      const expected = [...new Set(others.flatMap((a) => NEEDS[a] ?? []))].sort();
      const kms = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('kms:')));
      expect({ key, kms }).toEqual({
        key,
        kms: expected.length === 0 ? [] : [{ Effect: 'Allow', Action: expected, Resource: [KEY] }],
      });
      expect(
        roleStatements(template, roleLogicalId(key)).filter((s) =>
          asArray(s.Action).some((a) => a.startsWith('kms:')),
        ),
      ).toEqual([]);
    }
    expect(
      actionsOf(roleStatements(variantTemplate, 'ServiceDeskReceiveRole')).filter((a) =>
        a.startsWith('kms:'),
      ),
    ).toEqual(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
  });

  it('keeps audit records: state machines log ALL without execution data, HTTP API access log, versioned and logged mail bucket, private deployment bucket', () => {
    for (const [id, sm] of ofType(template, 'AWS::StepFunctions::StateMachine'))
      expect({ id, logging: sm.Properties.LoggingConfiguration }).toMatchObject({
        id,
        logging: { Level: 'ALL', IncludeExecutionData: false },
      });
    const stage = template.Resources.HttpApiStage!.Properties.AccessLogSettings as JsonObject;
    expect(stage.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    // Route keys, never raw paths (unsubscribe keys and execution names are in them).
    expect(stage.Format).toContain('$context.routeKey');
    expect(stage.Format).not.toContain('$context.path');
    const mail = template.Resources.ServiceDeskMailBucket!.Properties;
    expect(mail.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(mail.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: 'AccessLogsBucket' },
      LogFilePrefix: 'service-desk-mail/',
    });
    expect(template.Resources.ServerlessDeploymentBucket!.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    // X-Ray only when xrayTracing is "true".
    for (const [id, sm] of ofType(variantTemplate, 'AWS::StepFunctions::StateMachine'))
      expect({ id, tracing: sm.Properties.TracingConfiguration }).toEqual({ id, tracing: { Enabled: true } });
    for (const key of functionKeys) {
      expect(fnOf(variantTemplate, key).Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fnOf(template, key).Properties.TracingConfig).toBeUndefined();
    }
    expect(variantTemplate.Parameters?.FailoverTargetGroupArn?.Default).toBe(VARIANT.failoverTargetGroupArn);
  });

  /** cfn-lint (AWS's template linter, on the development machines): findings by rule. */
  const cfnLint = (t: Template, name: string): Map<string, number> => {
    const file = join(extractDir, `${name}.json`);
    writeFileSync(file, JSON.stringify(t));
    const run = spawnSync('cfn-lint', ['--format', 'parseable', file], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ cfnLint: run.error?.message }).toEqual({ cfnLint: undefined });
    const rules = new Map<string, number>();
    for (const line of run.stdout.split('\n').filter(Boolean)) {
      const rule = line.split(':')[5] ?? line;
      rules.set(rule, (rules.get(rule) ?? 0) + 1);
    }
    return rules;
  };

  it('passes cfn-lint with no error: only the generator warnings listed in docs/deploy.md', () => {
    const deployMd = readFileSync(join(PROJECT_DIR, 'docs', 'deploy.md'), 'utf8');
    for (const [name, t, allowed] of [
      ['default', template, ['W3005']],
      // W1030: the example ids of the acceptance criteria are shorter than real ones (sg-0abc).
      ['private-network', variantTemplate, ['W3005', 'W1030']],
    ] as const) {
      const rules = cfnLint(t, name);
      const found = [...rules.keys()].sort();
      expect({ name, errors: found.filter((r) => r.startsWith('E')) }).toEqual({ name, errors: [] });
      expect({ name, unexpected: found.filter((r) => !(allowed as readonly string[]).includes(r)) }).toEqual({
        name,
        unexpected: [],
      });
      for (const rule of found)
        expect({ rule, documented: deployMd.includes(rule) }).toEqual({ rule, documented: true });
    }
  }, 240_000);
});

describe('runbook workflows (issue 17)', () => {
  const schedulesOf = (t: Template, id: string): Resource[] =>
    Object.values(t.Resources).filter(
      (r) =>
        r.Type === 'AWS::Scheduler::Schedule' &&
        JSON.stringify((r.Properties.Target as JsonObject | undefined)?.Arn) === JSON.stringify({ Ref: id }),
    );

  it.each(RUNBOOK_MACHINES)(
    '%s is the STANDARD state machine of its ASL file, logging errors only, every function used',
    (key, id, prefix) => {
      const sm = template.Resources[id]!;
      expect(sm.Type).toBe('AWS::StepFunctions::StateMachine');
      expect(sm.Properties.StateMachineName).toBe(`${SERVICE}-${STAGE}-${key}`);
      expect(sm.Properties.StateMachineType).toBe('STANDARD');
      const deployed = deployedDefinition(template, id);
      expect(withoutJsonPathQueryLanguage(deployed)).toEqual(
        withoutJsonPathQueryLanguage(
          expectedDefinition(functionKeys, join(PROJECT_DIR, 'statemachines', `${key}.asl.json`)),
        ),
      );
      const invoked = new Set(taskStates(deployed).map(([, s]) => invokedLogicalId(s)));
      expect([...invoked].sort()).toEqual(
        functionKeys
          .filter((k) => k.startsWith(prefix))
          .map(functionLogicalId)
          .sort(),
      );
      expect(sm.Properties.LoggingConfiguration).toEqual({
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [`${id}LogGroup`, 'Arn'] } } },
        ],
      });
      // Every Lambda Task retries the Lambda service errors like the other workflows.
      for (const [state, task] of taskStates(deployed)) {
        const retry = (task.Retry as JsonObject[])[0]!;
        expect({ state, errors: retry.ErrorEquals }).toEqual({
          state,
          errors: expect.arrayContaining([
            'Lambda.ServiceException',
            'Lambda.TooManyRequestsException',
            'Lambda.SdkClientException',
          ]),
        });
      }
      // One schedule, disabled by default, enabled by its param.
      const [schedule] = schedulesOf(template, id);
      expect(schedulesOf(template, id)).toHaveLength(1);
      expect(schedule!.Properties.State).toBe('DISABLED');
      expect(schedule!.Properties.ScheduleExpression).toMatch(/^(rate|cron)\(.+\)$/);
    },
  );

  it('runs the TLS schedule with the maintenance window param, and gives only the validate step the hostname', () => {
    const [schedule] = schedulesOf(template, 'TlsCertificateStateMachine');
    expect(JSON.parse((schedule!.Properties.Target as JsonObject).Input as string)).toEqual({
      maintenanceWindow: '',
    });
    expect(schedulesOf(variantTemplate, 'TlsCertificateStateMachine')[0]!.Properties.State).toBe('ENABLED');
    const env = (key: string): JsonObject =>
      (template.Resources[functionLogicalId(key)]!.Properties.Environment as JsonObject)
        .Variables as JsonObject;
    expect(env('tlsCertificateValidate')).toMatchObject({
      GHES_OPS_TLS_HOSTNAME: 'github.example.com',
      GHES_OPS_TLS_CONNECT_HOST: '',
      GHES_OPS_TLS_PORT: '443',
    });
    expect(env('tlsCertificateInspect').GHES_OPS_TLS_HOSTNAME).toBeUndefined();
  });

  it('lets the backup check send commands to the primary and, when configured, the backup host only', () => {
    const doc = { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}::document/AWS-RunShellScript' };
    const instance = (id: string): Json => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:instance/${id}`,
    });
    const send = (t: Template): Json[] =>
      roleStatements(t, 'BackupHealthCheckRole')
        .filter((s) => asArray(s.Action).includes('ssm:SendCommand'))
        .flatMap((s) => asArray(s.Resource as Json | Json[]));
    expect(send(variantTemplate)).toEqual([
      doc,
      instance(DEFAULT_PRIMARY),
      { 'Fn::If': ['HasBackupHost', instance(VARIANT.backupHost), { Ref: 'AWS::NoValue' }] },
      // The command output bucket of the variant (SendCommand names it: issue 13).
      { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${VARIANT.commandOutputBucket}` },
    ]);
    expect(template.Conditions?.HasBackupHost).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'BackupHost' }, ''] }],
    });
    expect(variantTemplate.Parameters?.BackupHost).toMatchObject({ Default: VARIANT.backupHost });
    const [schedule] = schedulesOf(template, 'BackupHealthStateMachine');
    expect(JSON.parse((schedule!.Properties.Target as JsonObject).Input as string)).toEqual({
      maxAgeHours: 26,
      diskPercent: 90,
    });
  });

  it('lets the snapshot step snapshot the configured backup volume only, and delete only its own snapshots', () => {
    const snapshots = { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*' };
    const notTracing = (st: Statement): boolean => !asArray(st.Action).some((a) => a.startsWith('xray:'));
    expect(roleStatements(variantTemplate, 'BackupHealthSnapshotRole').slice(1).filter(notTracing)).toEqual([
      {
        Effect: 'Allow',
        Action: ['ec2:CreateSnapshot'],
        Resource: [
          {
            'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:volume/${VARIANT.backupVolumeId}`,
          },
          snapshots,
        ],
      },
      {
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: [snapshots],
        Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
      },
      { Effect: 'Allow', Action: ['ec2:DescribeSnapshots'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['ec2:DeleteSnapshot'],
        Resource: [snapshots],
        Condition: { StringEquals: { 'aws:ResourceTag/ghes-ops:backup-volume': VARIANT.backupVolumeId } },
      },
    ]);
  });

  it('runs the Jira schedule with the dry-run setting, enabled only by jiraScheduleEnabled', () => {
    const [schedule] = schedulesOf(template, 'JiraPrefixListStateMachine');
    expect(JSON.parse((schedule!.Properties.Target as JsonObject).Input as string)).toEqual({
      reason: 'daily schedule',
      dryRun: false,
    });
    expect(schedulesOf(variantTemplate, 'JiraPrefixListStateMachine')[0]!.Properties.State).toBe('ENABLED');
  });

  it('lets the Jira steps read and change only the configured prefix lists, and tag them with one key', () => {
    const list = (id: string): Json => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:prefix-list/${id}`,
    });
    const lists = (v6: string): Json[] => [
      list('pl-00000000000000000'),
      { 'Fn::If': ['HasJiraPrefixListIpv6', list(v6), { Ref: 'AWS::NoValue' }] },
    ];
    const statementsWith = (t: Template, key: string, action: string): Statement[] =>
      roleStatements(t, roleLogicalId(key)).filter((s) => asArray(s.Action).includes(action));
    expect(statementsWith(variantTemplate, 'jiraPrefixListApply', 'ec2:ModifyManagedPrefixList')).toEqual([
      {
        Effect: 'Allow',
        Action: ['ec2:GetManagedPrefixListEntries', 'ec2:ModifyManagedPrefixList'],
        Resource: lists(VARIANT.jiraPrefixListIdIpv6),
      },
    ]);
    expect(statementsWith(variantTemplate, 'jiraPrefixListPlan', 'ec2:GetManagedPrefixListEntries')).toEqual([
      {
        Effect: 'Allow',
        Action: ['ec2:GetManagedPrefixListEntries'],
        Resource: lists(VARIANT.jiraPrefixListIdIpv6),
      },
    ]);
    expect(statementsWith(template, 'jiraPrefixListApply', 'ec2:CreateTags')).toEqual([
      {
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: lists(''),
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['ghes-ops:atlassian-sync-token'] } },
      },
    ]);
    expect(variantTemplate.Conditions?.HasJiraPrefixListIpv6).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'JiraPrefixListIdIpv6' }, ''] }],
    });
    expect(variantTemplate.Parameters?.JiraPrefixListIdIpv6).toMatchObject({
      Default: VARIANT.jiraPrefixListIdIpv6,
    });
    // Only the validate step gets the settings; the input cannot name another list.
    const env = (
      template.Resources.JiraPrefixListValidateLambdaFunction!.Properties.Environment as JsonObject
    ).Variables as JsonObject;
    expect(env).toMatchObject({
      GHES_OPS_JIRA_PREFIX_LIST_ID: 'pl-00000000000000000',
      GHES_OPS_JIRA_PREFIX_LIST_ID_IPV6: '',
      GHES_OPS_JIRA_RANGES_URL: 'https://ip-ranges.atlassian.com/',
    });
  });
});

describe('service desk SLA check and satisfaction survey (issue 19)', () => {
  const ssm = (suffix: string): Json => ({
    'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ghes-ops/${STAGE}/${suffix}`,
  });
  const resourcesOf = (key: string, action: string): Json[] =>
    roleStatements(template, roleLogicalId(key))
      .filter((s) => asArray(s.Action).includes(action))
      .flatMap((s) => asArray(s.Resource as Json | Json[]));

  it('schedules the SLA check through its own scheduler role, disabled by default, at the configured rate', () => {
    const schedule = Object.values(template.Resources).find(
      (r) =>
        r.Type === 'AWS::Scheduler::Schedule' &&
        JSON.stringify((r.Properties.Target as JsonObject).Arn).includes('ServiceDeskSlaLambdaFunction'),
    )!;
    expect(schedule.Properties.State).toBe('DISABLED');
    expect(schedule.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect((schedule.Properties.Target as JsonObject).RoleArn).toEqual({
      'Fn::GetAtt': ['ServiceDeskSlaScheduleRole', 'Arn'],
    });
  });

  it('keeps both functions to the desk records, the desk parameters and the app credentials (read only)', () => {
    for (const key of ['serviceDeskSla', 'serviceDeskSurvey']) {
      expect({ key, ssm: resourcesOf(key, 'ssm:GetParameter') }).toEqual({
        key,
        ssm: [ssm('service-desk/*'), ssm('github-app/credentials/*')],
      });
      expect({ key, ddb: resourcesOf(key, 'dynamodb:PutItem') }).toEqual({
        key,
        ddb: [{ 'Fn::GetAtt': ['RecordsTable', 'Arn'] }],
      });
      // Neither sends mail nor writes parameters (the survey key is made by serviceDeskHttp).
      expect(resourcesOf(key, 'ses:SendEmail')).toEqual([]);
      expect(resourcesOf(key, 'ssm:PutParameter')).toEqual([]);
    }
  });

  it('serves the survey link on GET (the confirmation page) and POST (the rating) from serviceDeskSurvey', () => {
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey as string)
      .filter((k) => k.includes('/satisfaction/'))
      .sort();
    expect(routes).toEqual([
      'GET /service-desk/satisfaction/{token}',
      'POST /service-desk/satisfaction/{token}',
    ]);
    const integrations = Object.entries(template.Resources).filter(
      ([id, r]) =>
        r.Type === 'AWS::ApiGatewayV2::Integration' && id.startsWith('HttpApiIntegrationServiceDeskSurvey'),
    );
    expect(integrations).toHaveLength(1);
  });
});
