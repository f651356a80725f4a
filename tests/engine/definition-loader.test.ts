import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { prepareDefinition, type AslDefinition } from '../../local/engine/definition-loader.js';
import { readServerlessFunctions } from '../../local/engine/lambda-invoker.js';
import { LocalEngine } from '../../local/engine/local-engine.js';
import { MAX_TIMER_MS, MAX_TIMER_SECONDS } from '../../local/engine/timers.js';
import { scaledClock } from '../../shared/clock.js';
import { FIXTURES, errorOf } from './helpers.js';

const PROJECT = path.resolve(FIXTURES, '../..');
const opts = (scale = 1) => ({ scale, region: 'local', account: '000000000000' });
const fn = (key: string) => ({ 'Fn::GetAtt': [key, 'Arn'] });

/** A definition whose single state is `state` (plus a Pass after it when it has a Next). */
const oneState = (state: Record<string, unknown>, top: Record<string, unknown> = {}): AslDefinition => ({
  StartAt: 'S',
  States: { S: { End: true, ...state }, ...(state.Next ? { After: { Type: 'Pass', End: true } } : {}) },
  ...top,
});

async function refusal(definition: AslDefinition, scale = 1, resources: string[] = []): Promise<Error> {
  return errorOf(() => prepareDefinition('demo', definition, { ...opts(scale), resources }));
}

describe('prepareDefinition', () => {
  it('computes scaled waitTimeOverrides for every Wait, inside Map and Parallel too', () => {
    const prepared = prepareDefinition(
      'demo',
      {
        StartAt: 'Top',
        States: {
          Top: { Type: 'Wait', Seconds: 30, Next: 'Fan' },
          Fan: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'InBranch', States: { InBranch: { Type: 'Wait', Seconds: 10, End: true } } },
              {
                StartAt: 'Each',
                States: {
                  Each: {
                    Type: 'Map',
                    ItemProcessor: {
                      StartAt: 'InMap',
                      States: { InMap: { Type: 'Wait', Seconds: 5, End: true } },
                    },
                    End: true,
                  },
                },
              },
            ],
            Next: 'Forever',
          },
          Forever: { Type: 'Wait', Seconds: 31_536_000, End: true },
        },
      },
      opts(0.001),
    );
    // Real milliseconds: Seconds * 1000 * scale.
    expect(prepared.waitTimeOverrides).toEqual({ Top: 30, InBranch: 10, InMap: 5, Forever: 31_536_000 });
    expect(prepared.waitSeconds).toEqual({ Top: 30, InBranch: 10, InMap: 5, Forever: 31_536_000 });
    // A year at real time does not fit a timer: clamped, never 0 (Node would fire at once).
    const realTime = prepareDefinition('demo', oneState({ Type: 'Wait', Seconds: 31_536_000 }), opts(1));
    expect(realTime.waitTimeOverrides.S).toBe(MAX_TIMER_MS);
  });

  it('resolves Fn::GetAtt, strips the top-level TimeoutSeconds and scales task timeouts and retries', () => {
    const prepared = prepareDefinition(
      'demo',
      {
        StartAt: 'Call',
        TimeoutSeconds: 3600,
        States: {
          Call: {
            Type: 'Task',
            Resource: fn('doIt'),
            TimeoutSeconds: 30,
            Retry: [
              { ErrorEquals: ['Boom'], IntervalSeconds: 10, MaxDelaySeconds: 60 },
              { ErrorEquals: ['Other'] },
            ],
            Next: 'NoTimeout',
          },
          NoTimeout: { Type: 'Task', Resource: fn('doIt'), Next: 'Wait' },
          Wait: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: fn('notify'), Payload: { 'token.$': '$$.Task.Token' } },
            TimeoutSeconds: 7200,
            End: true,
          },
        },
      },
      opts(0.001),
    );
    expect(prepared.timeoutSeconds).toBe(3600);
    interface RunState {
      Resource?: string;
      Parameters: { FunctionName?: string };
      TimeoutSeconds?: number;
      Retry: Record<string, unknown>[];
    }
    const run = prepared.runDefinition as unknown as {
      TimeoutSeconds?: number;
      States: Record<'Call' | 'Wait' | 'NoTimeout', RunState>;
    };
    expect(run.TimeoutSeconds).toBeUndefined();
    expect(run.States.Call.Resource).toBe('arn:aws:lambda:local:000000000000:function:doIt');
    expect(run.States.Wait.Parameters.FunctionName).toBe('arn:aws:lambda:local:000000000000:function:notify');
    // Lambda timeouts bound real work: never below real time. Callback waits follow the clock.
    expect(run.States.Call.TimeoutSeconds).toBe(30);
    expect(run.States.NoTimeout.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(run.States.Wait.TimeoutSeconds).toBeCloseTo(7.2);
    expect(run.States.Call.Retry[0]).toMatchObject({ IntervalSeconds: 0.01, MaxDelaySeconds: 0.06 });
    expect(run.States.Call.Retry[1]).toMatchObject({
      IntervalSeconds: 0.001,
      MaxDelaySeconds: MAX_TIMER_SECONDS,
    });
    // The definition as read is untouched.
    expect(prepared.definition.TimeoutSeconds).toBe(3600);
    expect([...prepared.tasks.values()]).toEqual([
      { kind: 'lambda', stateName: 'Call', functionKey: 'doIt' },
      { kind: 'lambda', stateName: 'NoTimeout', functionKey: 'doIt' },
      {
        kind: 'callback',
        stateName: 'Wait',
        functionKey: 'notify',
        timeoutSeconds: 7200,
        runTimeoutSeconds: expect.closeTo(7.2),
      },
    ]);
    expect(prepared.functionKeys).toEqual(['doIt', 'notify']);
  });

  it('accepts SecondsPath/Timestamp Waits at scale 1 only', async () => {
    const wait = oneState({ Type: 'Wait', SecondsPath: '$.delay' });
    expect(prepareDefinition('demo', wait, opts(1)).waitTimeOverrides).toEqual({});
    const error = await refusal(wait, 0.001);
    expect(error.name).toBe('UnsupportedDefinition');
    expect(error.message).toContain("Wait state 'S'");
    expect(error.message).toContain('SecondsPath');
    expect(
      (await refusal(oneState({ Type: 'Wait', Timestamp: '2030-01-01T00:00:00Z' }), 0.5)).message,
    ).toContain('Timestamp');
    expect((await refusal(oneState({ Type: 'Wait', TimestampPath: '$.at' }), 2)).message).toContain(
      'TimestampPath',
    );
  });

  it.each([
    ['JSONata at the top', oneState({ Type: 'Pass' }, { QueryLanguage: 'JSONata' }), /JSONata/],
    ['JSONata in a state', oneState({ Type: 'Pass', QueryLanguage: 'JSONata' }), /state 'S'.*JSONata/],
    ['Assign', oneState({ Type: 'Pass', Assign: { x: 1 } }), /Assign/],
    [
      'Assign in a Catch',
      oneState({
        Type: 'Task',
        Resource: fn('f'),
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'S', Assign: { e: 1 } }],
      }),
      /Assign/,
    ],
    ['a JSONata field', oneState({ Type: 'Pass', Output: { x: 1 } }), /'Output' is a JSONata field/],
    [
      'HeartbeatSeconds',
      oneState({ Type: 'Task', Resource: fn('f'), HeartbeatSeconds: 60 }),
      /HeartbeatSeconds/,
    ],
    [
      'a Lambda ARN',
      oneState({ Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:x' }),
      /Fn::GetAtt/,
    ],
    [
      'another service',
      oneState({ Type: 'Task', Resource: 'arn:aws:states:::sns:publish' }),
      /sns:publish.*resourceHandlers/,
    ],
    [
      'a .sync task',
      oneState({ Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2' }),
      /cannot run locally/,
    ],
    [
      'lambda:invoke by name',
      oneState({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'x' },
      }),
      /FunctionName/,
    ],
    ['a Ref', oneState({ Type: 'Pass', Parameters: { topic: { Ref: 'Topic' } } }), /Ref cannot be resolved/],
    [
      'a distributed Map',
      oneState({
        Type: 'Map',
        ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2' },
        ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      }),
      /distributed Map/,
    ],
  ])('refuses %s with a clear error', async (_what, definition, message) => {
    const error = await refusal(definition);
    expect(error.name).toBe('UnsupportedDefinition');
    expect(error.message).toMatch(message);
    expect(error.message).toContain("State machine 'demo'");
  });

  it('runs other resources only when a handler is given for them', () => {
    const sns = oneState({ Type: 'Task', Resource: 'arn:aws:states:::sns:publish' });
    const prepared = prepareDefinition('demo', sns, {
      ...opts(),
      resources: ['arn:aws:states:::sns:publish'],
    });
    expect(prepared.tasks.get('S')).toEqual({
      kind: 'resource',
      stateName: 'S',
      resource: 'arn:aws:states:::sns:publish',
    });
  });

  it('refuses a definition asl-validator rejects', async () => {
    const error = await refusal({ StartAt: 'S', States: { S: { Type: 'Pass', Next: 'Nowhere' } } });
    expect(error.name).toBe('InvalidDefinition');
    expect(error.message).toContain('Nowhere');
  });
});

describe('LocalEngine.loadDefinition', () => {
  it('refuses a JSONata definition file at load, and the start of an execution', async () => {
    const engine = new LocalEngine({ root: FIXTURES, resolveFunction: () => () => null });
    const error = await errorOf(engine.loadDefinition('jsonata'));
    expect(error.name).toBe('UnsupportedDefinition');
    expect(error.message).toMatch(/'jsonata'.*JSONata/);
    expect((await errorOf(engine.startExecution('jsonata', {}))).name).toBe('UnsupportedDefinition');
    expect(engine.listExecutions()).toEqual([]);
  });

  it("loads every one of the project's statemachines at a fast time scale, functions all in serverless.yml", async () => {
    const engine = new LocalEngine({ root: PROJECT, clock: scaledClock(0.001) });
    const keys = await engine.listStateMachines();
    expect(keys.length).toBeGreaterThan(0);
    const functions = await readServerlessFunctions(path.join(PROJECT, 'serverless.yml'));
    for (const key of keys) {
      const prepared = await engine.loadDefinition(key);
      for (const functionKey of prepared.functionKeys)
        expect([key, functions.has(functionKey)]).toEqual([key, true]);
    }
  });
});
