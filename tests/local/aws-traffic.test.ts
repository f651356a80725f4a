import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { defaultConfig, mergeConfig } from '../../local/config.js';
import { localAwsClients, localFailoverDeps } from '../../local/failover-world.js';
import type { ParameterStore } from '../../shared/params/parameter-store.js';
import { failure } from '../helpers/failure.js';
import { ROOT, testWorld } from '../helpers/local-world.js';

/**
 * Locally against real appliances (runner "ssh"), Route 53 and the load balancer are the
 * production adapters with the operator's own credentials when the local config names an AWS
 * profile and region: checked at the command level (exact inputs), and the credentials come from
 * the SDK's chain (a profile of the shared credentials file here), never from the config file.
 */
const route53 = mockClient(Route53Client);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const params: ParameterStore = {
  get: async () => undefined,
  put: async () => undefined,
  delete: async () => undefined,
};
const TG = 'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/ghes/0123456789abcdef';

let dir: string;
const saved: Record<string, string | undefined> = {};
const ENV = [
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_REGION',
];
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-aws-'));
  writeFileSync(
    path.join(dir, 'credentials'),
    '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n\n' +
      '[ops]\naws_access_key_id = AKIDOPSPROFILE\naws_secret_access_key = ops-secret\n',
  );
  writeFileSync(path.join(dir, 'config'), '');
  for (const k of ENV) saved[k] = process.env[k];
  for (const k of ENV) delete process.env[k];
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
  process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
});
afterAll(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  route53.reset();
  elbv2.reset();
});

describe('local config: aws', () => {
  it('reads a profile and a region; the default local config stays on the sandbox without AWS', () => {
    const base = defaultConfig(ROOT);
    expect(base.aws).toBeUndefined();
    expect(base.appliance.runner).toBe('sandbox');
    const c = mergeConfig(
      base,
      {
        appliance: { runner: 'ssh', primary: 'ghes-1.example.com' },
        aws: { profile: 'ops', region: 'ap-northeast-2' },
      },
      'ghes-ops.config.json',
    );
    expect(c.aws).toEqual({ profile: 'ops', region: 'ap-northeast-2' });
  });

  it.each([
    [
      { accessKeyId: 'AKID', secretAccessKey: 'x' },
      'aws.accessKeyId is not accepted: no credentials in the config file',
    ],
    [{ sessionToken: 'x' }, 'aws.sessionToken is not accepted'],
    [{ profile: 'ops; rm -rf /' }, 'aws.profile must be a profile name'],
    [{ region: 'Seoul' }, 'aws.region must be an AWS region such as "ap-northeast-2"'],
    [{ zone: 'x' }, 'aws.zone is not a known setting (known: profile, region)'],
    ['ops', 'aws must be an object'],
  ])('refuses %j with a message naming the fix', (aws, message) => {
    expect(() => mergeConfig(defaultConfig(ROOT), { aws }, 'ghes-ops.config.json')).toThrow(message);
  });
});

describe('local AWS traffic adapters', () => {
  it('credentials come from the named profile through the SDK chain; Route 53 in us-east-1, ELBv2 in the region', async () => {
    const clients = await localAwsClients({ profile: 'ops', region: 'ap-northeast-2' });
    expect(await clients.route53.config.region()).toBe('us-east-1');
    expect(await clients.elbv2.config.region()).toBe('ap-northeast-2');
    const creds = await clients.elbv2.config.credentials();
    expect(creds.accessKeyId).toBe('AKIDOPSPROFILE');
    const byDefault = await localAwsClients({ region: 'ap-northeast-2' });
    expect((await byDefault.route53.config.credentials()).accessKeyId).toBe('AKIDDEFAULT');
  });

  it('reads and switches Route 53 with the exact inputs of the production adapter', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        {
          Name: 'github.example.com.',
          Type: 'CNAME',
          TTL: 60,
          ResourceRecords: [{ Value: 'ghes-1.example.com' }],
        },
      ],
      IsTruncated: false,
      MaxItems: 100,
    });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C0123', Status: 'PENDING', SubmittedAt: new Date('2026-01-01T00:00:00Z') },
    });
    const { dns } = localFailoverDeps(undefined, params, '/ghes-ops', {
      profile: 'ops',
      region: 'ap-northeast-2',
    });
    expect(await dns.records('Z0123456789ABC', 'github.example.com')).toEqual([
      { name: 'github.example.com', type: 'CNAME', ttl: 60, values: ['ghes-1.example.com'] },
    ]);
    expect(route53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABC',
      StartRecordName: 'github.example.com.',
      MaxItems: 100,
    });
    const change = await dns.upsert({
      hostedZoneId: 'Z0123456789ABC',
      name: 'github.example.com',
      type: 'CNAME',
      value: 'ghes-2.example.com',
      ttl: 60,
      comment: 'ghes-ops failover',
    });
    expect(change).toMatchObject({ changeId: 'C0123', status: 'PENDING' });
    expect(route53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABC',
      ChangeBatch: {
        Comment: 'ghes-ops failover',
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: 'github.example.com.',
              Type: 'CNAME',
              TTL: 60,
              ResourceRecords: [{ Value: 'ghes-2.example.com' }],
            },
          },
        ],
      },
    });
  });

  it('reads and moves the load balancer targets with the exact inputs', async () => {
    elbv2.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: 'i-0123456789abcdef0', Port: 443 }, TargetHealth: { State: 'healthy' } },
      ],
    });
    elbv2.on(RegisterTargetsCommand).resolves({});
    const { loadBalancer } = localFailoverDeps(undefined, params, '/ghes-ops', { region: 'ap-northeast-2' });
    const targets = await loadBalancer.targets(TG);
    expect(targets).toEqual([
      expect.objectContaining({ id: 'i-0123456789abcdef0', port: 443, state: 'healthy' }),
    ]);
    expect(elbv2).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: TG });
    await loadBalancer.register(TG, [{ id: 'i-0fedcba9876543210', port: 443 }]);
    expect(elbv2).toHaveReceivedCommandWith(RegisterTargetsCommand, {
      TargetGroupArn: TG,
      Targets: [{ Id: 'i-0fedcba9876543210', Port: 443 }],
    });
  });

  it('the local world over SSH uses them when the config says so, and refuses naming the setting when not', async () => {
    route53
      .on(ListResourceRecordSetsCommand)
      .resolves({ ResourceRecordSets: [], IsTruncated: false, MaxItems: 100 });
    const withAws = testWorld({
      config: (c) => {
        c.appliance = { runner: 'ssh', primary: 'ghes-1.example.com' };
        c.aws = { profile: 'ops', region: 'ap-northeast-2' };
      },
    });
    expect(await withAws.deps.dns.records('Z0123456789ABC', 'github.example.com')).toEqual([]);
    expect(route53).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 1);
    const without = testWorld({
      config: (c) => {
        c.appliance = { runner: 'ssh', primary: 'ghes-1.example.com' };
      },
    });
    const err = await failure(
      (async () => without.deps.dns.records('Z0123456789ABC', 'github.example.com'))(),
    );
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain('"aws": {"profile"');
    expect(route53).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 1);
  });
});
