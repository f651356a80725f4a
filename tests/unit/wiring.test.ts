import { describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import {
  awsAdapters,
  provideAwsAdapters,
  restrictToWiring,
  type AdapterKey,
} from '../../shared/runtime/aws-adapters.js';
import { ConfigError } from '../../shared/errors.js';
import type { Deps } from '../../shared/runtime/deps.js';
import type { Config } from '../../shared/config.js';
import { ROOT } from '../helpers/local-world.js';

const config = { stateMachines: {}, parameterPrefix: '/p' } as unknown as Config;

describe('adapter wiring', () => {
  it('creates a declared adapter once, on first use', async () => {
    const get = jest.fn(async (name: string) => `value of ${name}`);
    const factory = jest.fn(async () => ({ get, put: jest.fn(), delete: jest.fn() }));
    provideAwsAdapters({ params: factory as never });
    const adapters = awsAdapters(config);
    expect(factory).not.toHaveBeenCalled();
    await expect(adapters.params.get('/a')).resolves.toBe('value of /a');
    await adapters.params.get('/b');
    expect(factory).toHaveBeenCalledTimes(1);
  });

  it('refuses an undeclared adapter on use, naming the function, but lets the deps be spread', async () => {
    const deps = { mailer: { send: async () => ({ messageId: 'x' }) } } as unknown as Deps;
    const restricted = restrictToWiring(deps, new Set<AdapterKey>(['runner']), 'someFunction');
    const copy = { ...restricted };
    await expect(copy.mailer.send({ from: 'a', to: [], subject: '', text: '' })).rejects.toThrow(ConfigError);
    await expect(copy.mailer.send({ from: 'a', to: [], subject: '', text: '' })).rejects.toThrow(
      /someFunction used the mailer adapter/,
    );
  });

  it('never looks like a promise (awaiting an adapter does not call it)', async () => {
    const restricted = restrictToWiring({} as Deps, new Set(), 'f');
    await expect(Promise.resolve(restricted.runner)).resolves.toBe(restricted.runner);
  });
});

/** IAM actions that each adapter needs; a function's wiring and its role must agree. */
const ACTIONS: Record<AdapterKey, RegExp | undefined> = {
  runner: /^ssm:(SendCommand|GetCommandInvocation|CancelCommand)$/,
  params: /^ssm:(GetParameter|PutParameter|DeleteParameter)$/,
  mailer: /^ses:SendEmail$/,
  executions: /^states:/,
  dns: /^route53:/,
  loadBalancer: /^elasticloadbalancing:/,
  instances: /^ec2:StopInstances$/,
  http: undefined,
  ghesApi: undefined,
  rawMail: /^s3:(GetObject|PutObject)$/,
  tickets: undefined,
  smtpSubmission: undefined,
  records: /^dynamodb:(GetItem|PutItem|UpdateItem|DeleteItem)$/,
  tlsProbe: undefined,
  ipRanges: undefined,
  prefixLists:
    /^ec2:(DescribeManagedPrefixLists|GetManagedPrefixListEntries|ModifyManagedPrefixList|CreateTags)$/,
  volumeSnapshots: /^ec2:(CreateSnapshot|CreateTags|DescribeSnapshots|DeleteSnapshot)$/,
};

type Json = Record<string, unknown>;
const actionsOf = (o: unknown, out = new Set<string>()): Set<string> => {
  if (o && typeof o === 'object') {
    const s = o as Json;
    if (s.Effect === 'Allow' && s.Action)
      for (const a of [s.Action].flat()) if (typeof a === 'string') out.add(a);
    for (const v of Object.values(s)) actionsOf(v, out);
  }
  return out;
};

const doc = parse(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as Json;
const functions = Object.entries(doc.functions as Record<string, { handler: string; role: string }>);
const resources = (doc.resources as { Resources: Record<string, { Properties: Json }> }).Resources;

describe('each function: wiring (what it bundles) and IAM role (what it may do) agree', () => {
  it.each(functions)('%s', async (_key, fn) => {
    const file = pathToFileURL(path.join(ROOT, fn.handler.replace(/\.handler$/, '.ts'))).href;
    const { handler } = (await import(file)) as { handler: { wiring: AdapterKey[] } };
    const granted = [...actionsOf(resources[fn.role]?.Properties.Policies)].filter(
      (a) => !a.startsWith('logs:'),
    );
    for (const key of handler.wiring) {
      const needs = ACTIONS[key];
      if (needs) expect({ key, granted: granted.some((a) => needs.test(a)) }).toEqual({ key, granted: true });
    }
    for (const action of granted) {
      const covered = handler.wiring.some((k) => ACTIONS[k]?.test(action));
      expect({ action, covered }).toEqual({ action, covered: true });
    }
  });
});
