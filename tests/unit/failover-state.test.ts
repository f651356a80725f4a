import { beforeAll, describe, expect, it } from '@jest/globals';
import { defaultConfig } from '../../local/config.js';
import { InputValidationError } from '../../shared/errors.js';
import { parseFailoverRequest } from '../../shared/failover/request.js';
import { parseFailoverRequestState, parseFailoverState } from '../../shared/failover/state.js';
import { handler as fenceHandler } from '../../functions/failover/fence.js';
import { handler as hooksHandler } from '../../functions/failover/hooks.js';
import { setDeps, type Deps } from '../../shared/runtime/deps.js';
import { createLogger } from '../../shared/logger.js';
import { failoverInput } from '../helpers/failover.js';
import { ROOT } from '../helpers/local-world.js';

const EXEC = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:ghes-ops-dev-failover:run-1',
  name: 'run-1',
};
const request = () =>
  parseFailoverRequest(
    failoverInput({
      hooks: { pre: [{ on: 'old-primary', argv: ['ghe-announce', '-s', 'failover at 02:00'] }] },
    }),
    defaultConfig(ROOT),
    EXEC,
  );

/** The problems `fn` throws, as "field: problem" lines. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputValidationError);
    return (e as InputValidationError).problems.map((p) => `${p.field}: ${p.problem}`);
  }
  throw new Error('expected an InputValidationError');
}

describe('the failover state every step receives', () => {
  it('accepts what ValidateInput produced, with step results, and returns the same object', () => {
    const state = {
      request: request(),
      lock: { owner: EXEC.id },
      preHooks: [],
      error: { Error: 'ApplianceUnreachable', Cause: '...' },
      somethingTheAslAdds: 1,
    };
    expect(parseFailoverState(state)).toBe(state);
    expect(parseFailoverRequestState(state.request)).toBe(state.request);
  });

  it('accepts the load balancer traffic shape', () => {
    const r = parseFailoverRequest(
      failoverInput({
        primary: 'i-0123456789abcdef0',
        replica: 'i-0fedcba9876543210',
        traffic: {
          loadBalancer: {
            targetGroupArn:
              'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ghes/0123456789abcdef',
            publicName: 'github.example.com',
          },
        },
      }),
      {
        ...defaultConfig(ROOT),
        appliance: { runner: 'sandbox', primary: 'i-0123456789abcdef0', replica: 'i-0fedcba9876543210' },
      },
      EXEC,
    );
    expect(parseFailoverState({ request: r }).request.traffic).toMatchObject({
      kind: 'loadBalancer',
      port: 443,
    });
  });

  it('refuses a state that is not an object, or has no request', () => {
    expect(problems(() => parseFailoverState(null))[0]).toMatch(
      /^\(state\): must be a JSON object, got null/,
    );
    expect(problems(() => parseFailoverState([]))[0]).toMatch(/^\(state\): must be a JSON object/);
    expect(problems(() => parseFailoverState({}))).toEqual([
      expect.stringMatching(
        /^request: is missing: expected an object \(the state is built by the ValidateInput step/,
      ),
    ]);
  });

  it('names every bad field, nested ones by their path, and says how to fix it', () => {
    const r = request() as unknown as Record<string, unknown>;
    const bad = {
      request: {
        ...r,
        mode: 'sideways',
        primary: { target: 'ghe-primary; rm -rf /' },
        replica: 'ghe-replica',
        traffic: { kind: 'route53', hostedZoneId: 'nope', recordName: 'github.example.com', ttl: -1 },
        notify: ['not an address'],
        requireApproval: 'yes',
        execution: { id: EXEC.id },
      },
      fence: 'done',
      preHooks: {},
      error: { Cause: 'no Error' },
    };
    const list = problems(() => parseFailoverState(bad));
    expect(list.map((p) => p.split(':')[0])).toEqual([
      'request.mode',
      'request.primary.target',
      'request.replica',
      'request.traffic.hostedZoneId',
      'request.traffic.ttl',
      'request.requireApproval',
      'request.notify',
      'request.execution.name',
      'fence',
      'preHooks',
      'error',
    ]);
    expect(list[0]).toBe('request.mode: must be "planned" or "unplanned", got "sideways"');
    expect(list[1]).toMatch(/^request\.primary\.target: must be an EC2 instance id .* or a host name/);
    expect(list.at(-1)).toMatch(/\(the state is built by the ValidateInput step; .* start a new execution/);
  });

  it('checks the hooks against the same allow-list as the execution input', () => {
    const r = request();
    const hooks = { pre: [{ on: 'old-primary', argv: ['sh', '-c', 'reboot'] }], post: [] };
    expect(problems(() => parseFailoverRequestState({ ...r, hooks }))[0]).toMatch(
      /^request\.hooks\.pre\[0\]\.argv: "sh" is not an allowed hook program/,
    );
  });
});

describe('failover step handlers validate the state before any logic runs', () => {
  // No adapters at all: a handler that got past validation would fail with a TypeError instead.
  beforeAll(() =>
    setDeps({ config: defaultConfig(ROOT), log: createLogger({ write: () => {} }) } as unknown as Deps),
  );

  it('a step given a bad state fails with InputValidationError naming the field', async () => {
    const r = request();
    await expect(fenceHandler({ request: { ...r, mode: 'x' } }, {} as never)).rejects.toMatchObject({
      name: 'InputValidationError',
      message: expect.stringContaining('request.mode: must be "planned" or "unplanned"'),
    });
    await expect(hooksHandler({ phase: 'during', request: r }, {} as never)).rejects.toMatchObject({
      name: 'InputValidationError',
      message: expect.stringContaining('phase: must be "pre" or "post"'),
    });
  });
});
