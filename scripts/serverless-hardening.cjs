'use strict';
/**
 * ghes-ops deployment rules, applied by osls to the compiled CloudFormation template after it has
 * merged `resources:` and before it saves the template (hook
 * `before:aws:package:finalize:saveServiceState`). YAML cannot loop, so rules that hold for "every
 * function that ...", "every log group ..." live here once instead of being copied into 40 blocks;
 * tests/serverless/template.test.ts checks the result. Settings: `custom.hardening` in serverless.yml.
 *
 * - VPC (vpcSubnetIds + vpcSecurityGroupIds): each function in `ghesCallers` gets a VpcConfig and
 *   its role the network-interface permissions Lambda needs, scoped to those subnets and groups.
 *   Every other function stays outside the VPC.
 * - Dead letters: every function invoked asynchronously (EventBridge Scheduler schedule, EventBridge
 *   rule, SES receipt rule Lambda action) gets an SQS dead-letter queue `<service>-<stage>-<fn>-dlq`,
 *   its role sqs:SendMessage on that queue only, and an alarm on the queue's depth.
 * - Alarms: every state machine gets an alarm on failed or timed-out executions; the service desk's
 *   held and dropped mail are counted by metric filters on its receive log, and held mail raises an
 *   alarm (it waits for an operator). Alarms go to the
 *   `alarmTopicArn` topic, or to a topic created here with one email subscription per `notify` address.
 * - KMS (kmsKeyArn): every log group, queue, topic, DynamoDB table and bucket is encrypted with the
 *   key (except the access-log bucket: S3 server access logging writes only to SSE-S3 buckets), and
 *   each function role gets exactly the kms: actions its other permissions imply (see KMS_NEEDS).
 * - commandOutputBucket: every ssm:SendCommand statement also names the bucket (SendCommand with
 *   OutputS3BucketName is authorized against it).
 * - xrayTracing: active tracing on every function and state machine, with the X-Ray write actions.
 *
 * Values are decided at package time (they come from --param), so the default template carries no
 * VPC, key or bucket conditions at all.
 */

const SUBNET = /^subnet-[0-9a-f]{1,17}$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{1,17}$/;
const KMS_KEY = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/;
const TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const EMAIL = /^[^\s@<>,]+@[^\s@<>,]+\.[^\s@<>,]+$/;

/**
 * kms: actions a role needs on the key, by the actions it already has on resources encrypted with it.
 * SSM SecureStrings: GetParameter decrypts, PutParameter encrypts (standard tier: SSM calls
 * kms:Encrypt). S3 SSE-KMS: GetObject decrypts, PutObject generates a data key. SQS and SNS with a
 * key: a producer needs GenerateDataKey and Decrypt. DynamoDB uses grants of its own: no role action.
 */
const KMS_NEEDS = {
  'ssm:GetParameter': ['kms:Decrypt'],
  'ssm:PutParameter': ['kms:Encrypt'],
  's3:GetObject': ['kms:Decrypt'],
  's3:PutObject': ['kms:GenerateDataKey'],
  'sqs:SendMessage': ['kms:GenerateDataKey', 'kms:Decrypt'],
  'sns:Publish': ['kms:GenerateDataKey', 'kms:Decrypt'],
};

const sub = (s) => ({ 'Fn::Sub': s });
const ec2Arn = (what) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${what}`);
const list = (v) =>
  String(v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const asArray = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const upperFirst = (s) => s.charAt(0).toUpperCase() + s.slice(1);

class ConfigurationError extends Error {
  constructor(message) {
    super(`serverless.yml custom.hardening: ${message}`);
    this.name = 'ConfigurationError';
  }
}

/** Validated settings (custom.hardening, resolved from the params). */
function readSettings(raw, functionKeys) {
  const subnets = list(raw.vpcSubnetIds);
  const groups = list(raw.vpcSecurityGroupIds);
  if (subnets.length > 0 !== groups.length > 0)
    throw new ConfigurationError(
      'set both vpcSubnetIds and vpcSecurityGroupIds (comma-separated ids), or neither: a function in a VPC needs subnets and security groups.',
    );
  for (const s of subnets)
    if (!SUBNET.test(s))
      throw new ConfigurationError(`vpcSubnetIds: "${s}" is not a subnet id (subnet-0abc...).`);
  for (const g of groups)
    if (!SECURITY_GROUP.test(g))
      throw new ConfigurationError(`vpcSecurityGroupIds: "${g}" is not a security group id (sg-0abc...).`);
  const kmsKeyArn = String(raw.kmsKeyArn ?? '').trim();
  if (kmsKeyArn && !KMS_KEY.test(kmsKeyArn))
    throw new ConfigurationError(
      `kmsKeyArn: "${kmsKeyArn}" is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; an alias does not work in key policies and grants).`,
    );
  const alarmTopicArn = String(raw.alarmTopicArn ?? '').trim();
  if (alarmTopicArn && !TOPIC.test(alarmTopicArn))
    throw new ConfigurationError(`alarmTopicArn: "${alarmTopicArn}" is not an SNS topic ARN.`);
  const alarmEmails = list(raw.alarmEmails);
  for (const e of alarmEmails)
    if (!EMAIL.test(e)) throw new ConfigurationError(`alarmEmails: "${e}" is not an email address.`);
  const commandOutputBucket = String(raw.commandOutputBucket ?? '').trim();
  if (commandOutputBucket && !BUCKET.test(commandOutputBucket))
    throw new ConfigurationError(`commandOutputBucket: "${commandOutputBucket}" is not an S3 bucket name.`);
  const ghesCallers = asArray(raw.ghesCallers);
  for (const key of ghesCallers)
    if (!functionKeys.includes(key))
      throw new ConfigurationError(`ghesCallers: "${key}" is not a function of this service.`);
  const xray = String(raw.xrayTracing ?? 'false').trim();
  if (xray !== 'true' && xray !== 'false')
    throw new ConfigurationError(`xrayTracing must be "true" or "false", not "${xray}".`);
  return {
    subnets,
    groups,
    kmsKeyArn,
    alarmTopicArn,
    alarmEmails,
    commandOutputBucket,
    ghesCallers,
    xrayTracing: xray === 'true',
  };
}

/** The role logical id of a function resource (`Role: {Fn::GetAtt: [Role, Arn]}`). */
function roleOf(fn) {
  const getAtt = fn.Properties.Role && fn.Properties.Role['Fn::GetAtt'];
  if (!Array.isArray(getAtt))
    throw new ConfigurationError('every function needs its own role (role: XRole).');
  return getAtt[0];
}

function addPolicy(role, policyName, statements) {
  role.Properties.Policies = role.Properties.Policies ?? [];
  role.Properties.Policies.push({
    PolicyName: policyName,
    PolicyDocument: { Version: '2012-10-17', Statement: statements },
  });
}

/** Every Allow action of a role's inline policies (conditional policies included). */
function roleActions(role) {
  const out = new Set();
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    if (node.Effect === 'Allow' && node.Action) for (const a of asArray(node.Action)) out.add(a);
    for (const v of Object.values(node)) walk(v);
  };
  walk(role.Properties.Policies ?? []);
  return out;
}

/** Lambda functions invoked asynchronously, by logical id, with what invokes them. */
function asyncInvoked(resources) {
  const found = new Map();
  const lambdaOf = (arn) => {
    const getAtt = arn && arn['Fn::GetAtt'];
    const id = Array.isArray(getAtt) ? getAtt[0] : undefined;
    return id && resources[id] && resources[id].Type === 'AWS::Lambda::Function' ? id : undefined;
  };
  for (const [id, r] of Object.entries(resources)) {
    const targets =
      r.Type === 'AWS::Scheduler::Schedule'
        ? [r.Properties.Target && r.Properties.Target.Arn]
        : r.Type === 'AWS::Events::Rule'
          ? asArray(r.Properties.Targets).map((t) => t.Arn)
          : r.Type === 'AWS::SES::ReceiptRule'
            ? asArray(r.Properties.Rule && r.Properties.Rule.Actions)
                .map((a) => a.LambdaAction)
                .filter((a) => a && (a.InvocationType ?? 'Event') === 'Event')
                .map((a) => a.FunctionArn)
            : [];
    for (const t of targets) {
      const fn = lambdaOf(t);
      if (fn) found.set(fn, [...(found.get(fn) ?? []), id]);
    }
  }
  return found;
}

function apply(template, settings, ctx) {
  const resources = template.Resources;
  const functionIds = new Map(ctx.functionKeys.map((k) => [ctx.lambdaLogicalId(k), k]));
  const key = settings.kmsKeyArn;

  // VPC: the functions that open connections to GHES, and no other.
  if (settings.subnets.length > 0) {
    // Typed parameters: CloudFormation checks at deploy time that the subnets and groups exist.
    template.Parameters = template.Parameters ?? {};
    template.Parameters.VpcSubnetIds = {
      Type: 'List<AWS::EC2::Subnet::Id>',
      Default: settings.subnets.join(','),
      Description: 'Subnets of the functions that call GHES; param vpcSubnetIds',
    };
    template.Parameters.VpcSecurityGroupIds = {
      Type: 'List<AWS::EC2::SecurityGroup::Id>',
      Default: settings.groups.join(','),
      Description: 'Security groups of the functions that call GHES; param vpcSecurityGroupIds',
    };
    for (const fnKey of settings.ghesCallers) {
      const fn = resources[ctx.lambdaLogicalId(fnKey)];
      fn.Properties.VpcConfig = {
        SubnetIds: { Ref: 'VpcSubnetIds' },
        SecurityGroupIds: { Ref: 'VpcSecurityGroupIds' },
      };
      addPolicy(resources[roleOf(fn)], 'vpc-network-interfaces', [
        // Lambda creates the function's network interfaces with its role, in these subnets and groups only.
        {
          Effect: 'Allow',
          Action: ['ec2:CreateNetworkInterface'],
          Resource: [
            ec2Arn('network-interface/*'),
            ...settings.subnets.map((s) => ec2Arn(`subnet/${s}`)),
            ...settings.groups.map((g) => ec2Arn(`security-group/${g}`)),
          ],
        },
        {
          Effect: 'Allow',
          Action: [
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Resource: [ec2Arn('network-interface/*')],
        },
        // Describe actions support no resource-level permissions: Resource must be "*".
        {
          Effect: 'Allow',
          Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
          Resource: '*',
        },
      ]);
    }
  }

  // Where alarms go.
  let alarmTarget = settings.alarmTopicArn;
  if (!alarmTarget) {
    resources.AlarmTopic = {
      Type: 'AWS::SNS::Topic',
      Properties: {
        TopicName: `${ctx.service}-${ctx.stage}-alarms`,
        DisplayName: `${ctx.service} ${ctx.stage} alarms`,
      },
    };
    settings.alarmEmails.forEach((email, i) => {
      resources[`AlarmTopicSubscription${i}`] = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: email },
      };
    });
    template.Outputs = template.Outputs ?? {};
    template.Outputs.AlarmTopicArn = {
      Description: 'SNS topic of the ghes-ops alarms (dead letters, failed executions)',
      Value: { Ref: 'AlarmTopic' },
    };
    alarmTarget = { Ref: 'AlarmTopic' };
  }

  // Dead letters for every asynchronously invoked function, and an alarm on each queue.
  for (const [fnId, sources] of asyncInvoked(resources)) {
    const fnKey = functionIds.get(fnId);
    const base = upperFirst(fnKey);
    const queueId = `${base}DeadLetterQueue`;
    resources[queueId] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${ctx.service}-${ctx.stage}-${fnKey}-dlq`,
        // The longest SQS keeps a message: 14 days to notice the alarm and redrive.
        MessageRetentionPeriod: 1209600,
        SqsManagedSseEnabled: true,
      },
    };
    const fn = resources[fnId];
    fn.Properties.DeadLetterConfig = { TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } };
    addPolicy(resources[roleOf(fn)], 'dead-letter', [
      // Lambda sends the failed event with the function's role.
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [{ 'Fn::GetAtt': [queueId, 'Arn'] }] },
    ]);
    resources[`${base}DeadLetterAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${ctx.service}-${ctx.stage}-${fnKey}-dead-letters`,
        AlarmDescription: `${fnKey} failed an event three times (invoked by ${sources.join(', ')}); it is in ${ctx.service}-${ctx.stage}-${fnKey}-dlq. Fix the cause from the function's log, then replay it (docs/deploy.md, dead letters).`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [alarmTarget],
      },
    };
  }

  // An alarm on failed or timed-out executions of every state machine.
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const metric = (name) => ({
      Metric: {
        Namespace: 'AWS/States',
        MetricName: name,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id } }],
      },
      Period: 300,
      Stat: 'Sum',
    });
    resources[`${id}FailedAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${r.Properties.StateMachineName}-failed`,
        AlarmDescription: `An execution of ${r.Properties.StateMachineName} failed or timed out: open it in the Step Functions console (its notification email says what was left).`,
        Metrics: [
          { Id: 'failed', MetricStat: metric('ExecutionsFailed'), ReturnData: false },
          { Id: 'timedOut', MetricStat: metric('ExecutionsTimedOut'), ReturnData: false },
          { Id: 'total', Expression: 'FILL(failed, 0) + FILL(timedOut, 0)', Label: 'failed or timed out' },
        ],
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [alarmTarget],
      },
    };
  }

  // The service desk's held and dropped mail, counted from the receive function's JSON log
  // (shared/service-desk/desk.ts logs `service desk: mail held` / `service desk: mail dropped`);
  // held mail waits for an operator, so it also raises an alarm.
  if (resources.ServiceDeskReceiveLogGroup) {
    const namespace = `${ctx.service}/${ctx.stage}`;
    for (const [what, message] of [
      ['Held', 'service desk: mail held'],
      ['Dropped', 'service desk: mail dropped'],
    ]) {
      resources[`ServiceDeskMail${what}MetricFilter`] = {
        Type: 'AWS::Logs::MetricFilter',
        Properties: {
          LogGroupName: { Ref: 'ServiceDeskReceiveLogGroup' },
          FilterPattern: `{ $.message = "${message}" }`,
          MetricTransformations: [
            {
              MetricNamespace: namespace,
              MetricName: `ServiceDeskMail${what}`,
              MetricValue: '1',
              Unit: 'Count',
            },
          ],
        },
      };
    }
    resources.ServiceDeskMailHeldAlarm = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${ctx.service}-${ctx.stage}-service-desk-mail-held`,
        AlarmDescription:
          'New mail from a sender over the service desk burst limit was held, not made a ticket: the raw mail stays in the mail bucket. ' +
          'Find it in the serviceDeskReceive log ("service desk: mail held", with its message id and sender), review it, and redrive it ' +
          '(docs/deploy.md, ghes-ops aws redrive) once the sender is below the limit again.',
        Namespace: namespace,
        MetricName: 'ServiceDeskMailHeld',
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [alarmTarget],
      },
    };
  }

  // SendCommand with an output bucket is authorized against the bucket too.
  if (settings.commandOutputBucket) {
    const bucketArn = sub(`arn:\${AWS::Partition}:s3:::${settings.commandOutputBucket}`);
    const walk = (node) => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== 'object') return;
      if (node.Effect === 'Allow' && asArray(node.Action).includes('ssm:SendCommand'))
        node.Resource = [...asArray(node.Resource), bucketArn];
      for (const v of Object.values(node)) walk(v);
    };
    for (const r of Object.values(resources)) if (r.Type === 'AWS::IAM::Role') walk(r.Properties.Policies);
  }

  if (settings.xrayTracing) {
    const xray = {
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      // X-Ray write actions support no resource-level permissions.
      Resource: '*',
    };
    for (const fnId of functionIds.keys()) {
      resources[fnId].Properties.TracingConfig = { Mode: 'Active' };
      addPolicy(resources[roleOf(resources[fnId])], 'xray', [xray]);
    }
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
      r.Properties.TracingConfiguration = { Enabled: true };
      const roleId =
        r.Properties.RoleArn && r.Properties.RoleArn['Fn::GetAtt'] && r.Properties.RoleArn['Fn::GetAtt'][0];
      if (roleId && resources[roleId])
        addPolicy(resources[roleId], 'xray', [
          { ...xray, Action: [...xray.Action, 'xray:GetSamplingRules', 'xray:GetSamplingTargets'] },
        ]);
    }
  }

  if (key) {
    const logTargets = new Set();
    for (const r of Object.values(resources)) {
      const target = r.Type === 'AWS::S3::Bucket' && r.Properties.LoggingConfiguration;
      if (target && target.DestinationBucketName && target.DestinationBucketName.Ref)
        logTargets.add(target.DestinationBucketName.Ref);
    }
    for (const [id, r] of Object.entries(resources)) {
      r.Properties = r.Properties ?? {};
      switch (r.Type) {
        case 'AWS::Logs::LogGroup':
          r.Properties.KmsKeyId = key;
          break;
        case 'AWS::SQS::Queue':
          delete r.Properties.SqsManagedSseEnabled;
          r.Properties.KmsMasterKeyId = key;
          break;
        case 'AWS::SNS::Topic':
          r.Properties.KmsMasterKeyId = key;
          break;
        case 'AWS::DynamoDB::Table':
          r.Properties.SSESpecification = { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: key };
          break;
        case 'AWS::S3::Bucket':
          // S3 server access logs can only be delivered to an SSE-S3 bucket.
          if (logTargets.has(id)) break;
          r.Properties.BucketEncryption = {
            ServerSideEncryptionConfiguration: [
              {
                ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key },
                BucketKeyEnabled: true,
              },
            ],
          };
          break;
      }
    }
    for (const fnId of functionIds.keys()) {
      const role = resources[roleOf(resources[fnId])];
      const actions = roleActions(role);
      const kms = new Set();
      for (const a of actions) for (const k of KMS_NEEDS[a] ?? []) kms.add(k);
      if (kms.size > 0)
        addPolicy(role, 'kms', [{ Effect: 'Allow', Action: [...kms].sort(), Resource: [key] }]);
    }
  }
}

class GhesOpsHardening {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:aws:package:finalize:saveServiceState': () => this.run() };
  }

  run() {
    const service = this.serverless.service;
    const naming = this.serverless.getProvider('aws').naming;
    const functionKeys = service.getAllFunctions();
    const settings = readSettings((service.custom && service.custom.hardening) || {}, functionKeys);
    apply(service.provider.compiledCloudFormationTemplate, settings, {
      service: service.service,
      stage: this.serverless.getProvider('aws').getStage(),
      functionKeys,
      lambdaLogicalId: (k) => naming.getLambdaLogicalId(k),
    });
  }
}

module.exports = GhesOpsHardening;
module.exports.readSettings = readSettings;
module.exports.KMS_NEEDS = KMS_NEEDS;
