import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { probeGhes, probeHosts } from '../../shared/deploy/probe.js';
import type { ApplianceHttp } from '../../shared/http/appliance-http.js';

describe('deployment probe', () => {
  it('probes the GHES URL host and the appliance hosts of the deployed configuration, once each', () => {
    expect(
      probeHosts({
        GHES_OPS_GHES_URL: 'https://ghes.example.com:8443/',
        GHES_OPS_PROBE_HOSTS: 'ghes-a.internal, ghes.example.com:8443,,ghes-b.internal',
      }),
    ).toEqual(['ghes.example.com:8443', 'ghes-a.internal', 'ghes-b.internal']);
    expect(probeHosts({ GHES_OPS_GHES_URL: 'not a url', GHES_OPS_PROBE_HOSTS: ',' })).toEqual([]);
  });

  it('reports each host as the appliance HTTP client sees it, unreachable ones included', async () => {
    const http: ApplianceHttp = {
      status: async (host) => (host === 'down.internal' ? { unreachable: 'ECONNREFUSED' } : { code: 503 }),
      drain: async () => undefined,
    };
    expect(await probeGhes(['up.internal', 'down.internal'], { http })).toEqual({
      probes: [
        { host: 'up.internal', result: { code: 503 } },
        { host: 'down.internal', result: { unreachable: 'ECONNREFUSED' } },
      ],
    });
  });
});

describe('serverless-hardening settings (package-time validation of the params)', () => {
  const { readSettings } = createRequire(import.meta.url)('../../scripts/serverless-hardening.cjs') as {
    readSettings: (raw: Record<string, unknown>, functions: string[]) => Record<string, unknown>;
  };
  const fns = ['serviceDeskReceive'];

  it('accepts the documented example and the defaults', () => {
    expect(
      readSettings(
        {
          vpcSubnetIds: 'subnet-0abc, subnet-0def',
          vpcSecurityGroupIds: 'sg-0abc',
          kmsKeyArn: 'arn:aws:kms:ap-northeast-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          ghesCallers: ['serviceDeskReceive'],
          alarmEmails: 'ops@example.com,sre@example.com',
        },
        fns,
      ),
    ).toMatchObject({
      subnets: ['subnet-0abc', 'subnet-0def'],
      groups: ['sg-0abc'],
      alarmEmails: ['ops@example.com', 'sre@example.com'],
      xrayTracing: false,
    });
    expect(readSettings({}, fns)).toMatchObject({ subnets: [], groups: [], kmsKeyArn: '' });
  });

  it.each([
    [{ vpcSubnetIds: 'subnet-0abc' }, 'set both vpcSubnetIds and vpcSecurityGroupIds'],
    [
      { vpcSubnetIds: 'vpc-0abc', vpcSecurityGroupIds: 'sg-0abc' },
      'vpcSubnetIds: "vpc-0abc" is not a subnet id',
    ],
    [{ kmsKeyArn: 'alias/ghes-ops' }, 'kmsKeyArn: "alias/ghes-ops" is not a KMS key ARN'],
    [{ alarmEmails: 'ops' }, 'alarmEmails: "ops" is not an email address'],
    [{ ghesCallers: ['nope'] }, 'ghesCallers: "nope" is not a function'],
    [{ commandOutputBucket: 'Bad_Bucket' }, 'commandOutputBucket: "Bad_Bucket" is not an S3 bucket name'],
    [{ xrayTracing: 'yes' }, 'xrayTracing must be "true" or "false"'],
  ])('refuses %j at package time', (raw, message) => {
    expect(() => readSettings(raw, fns)).toThrow(message);
  });
});
