import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  Route53Client,
} from '@aws-sdk/client-route-53';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Route53Dns } from '../../shared/aws/route53-dns.js';
import { Elbv2LoadBalancer } from '../../shared/aws/elbv2-load-balancer.js';
import { Ec2Instances } from '../../shared/aws/ec2-instances.js';
import { SfnExecutions } from '../../shared/aws/sfn-executions.js';
import { drainFromManageApi, HttpsApplianceHttp } from '../../shared/http/https-appliance-http.js';

const r53 = mockClient(Route53Client);
const elb = mockClient(ElasticLoadBalancingV2Client);
const ec2 = mockClient(EC2Client);
const sfn = mockClient(SFNClient);
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ghes/0123456789abcdef';

beforeEach(() => {
  r53.reset();
  elb.reset();
  ec2.reset();
  sfn.reset();
});

describe('Route53Dns', () => {
  it('UPSERTs exactly one record and reads the change id', async () => {
    r53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: {
        Id: '/change/C2682N5HXP0BZ4',
        Status: 'PENDING',
        SubmittedAt: new Date('2026-01-01T00:00:00Z'),
      },
    });
    const dns = new Route53Dns(new Route53Client({}));
    const change = await dns.upsert({
      hostedZoneId: 'Z0123456789ABC',
      name: 'github.example.com',
      type: 'A',
      value: '10.0.0.12',
      ttl: 60,
      comment: 'ghes-ops failover x',
    });
    expect(change).toEqual({
      changeId: 'C2682N5HXP0BZ4',
      status: 'PENDING',
      submittedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(r53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABC',
      ChangeBatch: {
        Comment: 'ghes-ops failover x',
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: 'github.example.com.',
              Type: 'A',
              TTL: 60,
              ResourceRecords: [{ Value: '10.0.0.12' }],
            },
          },
        ],
      },
    });
  });

  it('polls GetChange with the change id and maps the status', async () => {
    r53
      .on(GetChangeCommand)
      .resolvesOnce({ ChangeInfo: { Id: 'C1', Status: 'PENDING', SubmittedAt: new Date() } })
      .resolves({ ChangeInfo: { Id: 'C1', Status: 'INSYNC', SubmittedAt: new Date() } });
    const dns = new Route53Dns(new Route53Client({}));
    expect(await dns.changeStatus('C1')).toBe('PENDING');
    expect(await dns.changeStatus('C1')).toBe('INSYNC');
    expect(r53.commandCalls(GetChangeCommand).map((c) => c.args[0].input)).toEqual([
      { Id: 'C1' },
      { Id: 'C1' },
    ]);
  });

  it('turns a refusal into TrafficSwitchFailed naming the AWS error', async () => {
    const err = Object.assign(new Error('rate exceeded'), { name: 'PriorRequestNotComplete' });
    r53.on(ChangeResourceRecordSetsCommand).rejects(err);
    const dns = new Route53Dns(new Route53Client({}));
    await expect(
      dns.upsert({
        hostedZoneId: 'Z1',
        name: 'a.example.com',
        type: 'CNAME',
        value: 'b.example.com',
        ttl: 60,
        comment: '',
      }),
    ).rejects.toMatchObject({
      name: 'TrafficSwitchFailed',
      message: expect.stringContaining('PriorRequestNotComplete'),
    });
  });
});

describe('Route53Dns.records (read only, before anything changes)', () => {
  it('lists from the record name and keeps only the sets of that name, as Route 53 spells them', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        {
          Name: 'GitHub.example.com.',
          Type: 'CNAME',
          TTL: 300,
          ResourceRecords: [{ Value: 'ghe-1.example.com.' }],
        },
        { Name: 'github.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=spf1 -all"' }] },
        // The page goes on with the next names in order: not this record.
        { Name: 'github2.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.9' }] },
      ],
      IsTruncated: true,
      NextRecordName: 'www.example.com.',
      MaxItems: 100,
    });
    const dns = new Route53Dns(new Route53Client({}));
    expect(await dns.records('Z0123456789ABC', 'github.example.com')).toEqual([
      { name: 'github.example.com', type: 'CNAME', ttl: 300, values: ['ghe-1.example.com'] },
      { name: 'github.example.com', type: 'TXT', ttl: 300, values: ['"v=spf1 -all"'] },
    ]);
    expect(r53.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input)).toEqual([
      { HostedZoneId: 'Z0123456789ABC', StartRecordName: 'github.example.com.', MaxItems: 100 },
    ]);
  });

  it('reports alias records with their target, and [] when the name is not in the zone', async () => {
    r53
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce({
        ResourceRecordSets: [
          {
            Name: 'github.example.com.',
            Type: 'A',
            AliasTarget: {
              HostedZoneId: 'Z35SXDOTRQ7X7K',
              DNSName: 'dualstack.ghes-123.us-east-1.elb.amazonaws.com.',
              EvaluateTargetHealth: false,
            },
          },
        ],
        IsTruncated: false,
        MaxItems: 100,
      })
      .resolves({ ResourceRecordSets: [], IsTruncated: false, MaxItems: 100 });
    const dns = new Route53Dns(new Route53Client({}));
    expect(await dns.records('Z1', 'github.example.com')).toEqual([
      {
        name: 'github.example.com',
        type: 'A',
        values: [],
        aliasTarget: 'dualstack.ghes-123.us-east-1.elb.amazonaws.com',
      },
    ]);
    expect(await dns.records('Z1', 'nothing.example.com')).toEqual([]);
  });

  it('turns an unknown zone into TrafficCheckFailed naming NoSuchHostedZone', async () => {
    r53.on(ListResourceRecordSetsCommand).rejects(
      new NoSuchHostedZone({
        message: 'No hosted zone found with ID: Z0SANDBOX0000000000O',
        $metadata: {},
      }),
    );
    const dns = new Route53Dns(new Route53Client({}));
    await expect(dns.records('Z0SANDBOX0000000000O', 'ghes.sandbox.test')).rejects.toMatchObject({
      name: 'TrafficCheckFailed',
      message: expect.stringContaining(
        'NoSuchHostedZone: No hosted zone found with ID: Z0SANDBOX0000000000O',
      ),
      details: { awsError: 'NoSuchHostedZone' },
    });
  });
});

describe('Elbv2LoadBalancer.targets (read only, before anything changes)', () => {
  it('describes every target of the group with its health', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: 'i-0123456789abcdef0', Port: 443 }, TargetHealth: { State: 'healthy' } },
        {
          Target: { Id: 'i-0123456789abcdef1', Port: 443 },
          TargetHealth: { State: 'unhealthy', Reason: 'Target.FailedHealthChecks' },
        },
      ],
    });
    const lb = new Elbv2LoadBalancer(new ElasticLoadBalancingV2Client({}));
    expect(await lb.targets(TG)).toEqual([
      { id: 'i-0123456789abcdef0', port: 443, state: 'healthy' },
      { id: 'i-0123456789abcdef1', port: 443, state: 'unhealthy', reason: 'Target.FailedHealthChecks' },
    ]);
    expect(elb.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input)).toEqual([
      { TargetGroupArn: TG },
    ]);
  });

  it('turns an unknown target group into TrafficCheckFailed', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .rejects(
        new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }),
      );
    const lb = new Elbv2LoadBalancer(new ElasticLoadBalancingV2Client({}));
    await expect(lb.targets(TG)).rejects.toMatchObject({
      name: 'TrafficCheckFailed',
      details: { awsError: 'TargetGroupNotFoundException' },
    });
  });
});

describe('Elbv2LoadBalancer', () => {
  it('registers, deregisters and reads target health with exact inputs', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: 'i-0123456789abcdef1', Port: 443 }, TargetHealth: { State: 'healthy' } },
      ],
    });
    const lb = new Elbv2LoadBalancer(new ElasticLoadBalancingV2Client({}));
    await lb.register(TG, [{ id: 'i-0123456789abcdef1', port: 443 }]);
    await lb.deregister(TG, [{ id: 'i-0123456789abcdef0', port: 443 }]);
    expect(await lb.health(TG, { id: 'i-0123456789abcdef1', port: 443 })).toBe('healthy');
    expect(elb.commandCalls(RegisterTargetsCommand)[0]!.args[0].input).toEqual({
      TargetGroupArn: TG,
      Targets: [{ Id: 'i-0123456789abcdef1', Port: 443 }],
    });
    expect(elb.commandCalls(DeregisterTargetsCommand)[0]!.args[0].input).toEqual({
      TargetGroupArn: TG,
      Targets: [{ Id: 'i-0123456789abcdef0', Port: 443 }],
    });
    expect(elb.commandCalls(DescribeTargetHealthCommand)[0]!.args[0].input).toEqual({
      TargetGroupArn: TG,
      Targets: [{ Id: 'i-0123456789abcdef1', Port: 443 }],
    });
  });
});

describe('Ec2Instances', () => {
  it('stops the instance with Force and reports the state change', async () => {
    ec2.on(StopInstancesCommand).resolves({
      StoppingInstances: [
        {
          InstanceId: 'i-0123456789abcdef0',
          PreviousState: { Name: 'running', Code: 16 },
          CurrentState: { Name: 'stopping', Code: 64 },
        },
      ],
    });
    const r = await new Ec2Instances(new EC2Client({})).stop('i-0123456789abcdef0', { force: true });
    expect(r).toEqual({
      instanceId: 'i-0123456789abcdef0',
      previousState: 'running',
      currentState: 'stopping',
    });
    expect(ec2).toHaveReceivedCommandWith(StopInstancesCommand, {
      InstanceIds: ['i-0123456789abcdef0'],
      Force: true,
    });
    expect(ec2.commandCalls(StopInstancesCommand)).toHaveLength(1);
  });
});

describe("SfnExecutions.status (the lock's stale-owner rule)", () => {
  it('describes the execution, and reports NOT_FOUND for an unknown one', async () => {
    const arn = 'arn:aws:states:us-east-1:123456789012:execution:ghes-ops-dev-failover:x';
    sfn.on(DescribeExecutionCommand, { executionArn: arn }).resolves({ status: 'ABORTED' } as never);
    sfn
      .on(DescribeExecutionCommand, { executionArn: `${arn}y` })
      .rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    const ex = new SfnExecutions(new SFNClient({}), {});
    expect(await ex.status(arn)).toBe('ABORTED');
    expect(await ex.status(`${arn}y`)).toBe('NOT_FOUND');
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]!.args[0].input).toEqual({ executionArn: arn });
  });
});

describe('HttpsApplianceHttp', () => {
  it('GETs https://HOST/status and reports the code, or unreachable', async () => {
    const calls: string[] = [];
    const fetch = (async (url: string) => {
      calls.push(url);
      if (url.includes('down'))
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      return new Response('', { status: 503 });
    }) as unknown as typeof globalThis.fetch;
    const http = new HttpsApplianceHttp({
      params: { get: async () => undefined, put: async () => undefined, delete: async () => undefined },
      managePasswordParameter: '/x',
      fetch,
    });
    expect(await http.status('ghes.example.com')).toEqual({ code: 503 });
    expect(await http.status('down.example.com')).toEqual({ unreachable: 'ECONNREFUSED' });
    expect(calls).toEqual(['https://ghes.example.com/status', 'https://down.example.com/status']);
    // No Manage API password parameter: the drain counters are not available.
    expect(await http.drain('ghes.example.com')).toBeUndefined();
  });

  it('reads the Manage API connection_services counters', () => {
    expect(
      drainFromManageApi([
        {
          hostname: 'p',
          connection_services: [
            { name: 'git operations', number: 2 },
            { name: 'mysql queries', number: 5 },
            { name: 'aqueduct jobs', number: 1 },
            { name: 'resque jobs', number: 3 },
          ],
        },
      ]),
    ).toEqual({ gitOperations: 2, mysqlQueries: 5, resqueJobs: 4 });
    expect(drainFromManageApi({ status: 'on' })).toBeUndefined();
  });
});
