import { afterEach, describe, expect, it } from '@jest/globals';
import { scaledClock } from '../../shared/clock.js';
import type { EngineEvent } from '../../local/engine/local-engine.js';
import { serverlessFunctionResolver } from '../../local/engine/lambda-invoker.js';
import { FIXTURES, closeEngines, errorOf, eventually, fixtureEngine, sleep } from './helpers.js';

afterEach(closeEngines);

interface EchoResult {
  event: unknown;
  when: unknown;
  context: {
    functionName: string;
    awsRequestId: string;
    invokedFunctionArn: string;
    memoryLimitInMB: string;
    remainingMs: number;
  };
}

const types = (events: { type: string }[]): string[] => events.map((e) => e.type);

describe('LocalEngine: tasks', () => {
  it('binds Fn::GetAtt tasks through serverless.yml and applies Parameters ($$ included) and ResultPath', async () => {
    const engine = fixtureEngine();
    const started = await engine.startExecution('greet', { who: 'Ada' }, 'run-1');
    expect(started.executionArn).toBe('arn:aws:states:local:000000000000:execution:greet:run-1');
    expect(Number.isNaN(Date.parse(started.startDate))).toBe(false);

    const result = await engine.waitForExecution(started.executionArn);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      name: 'run-1',
      stateMachine: 'greet',
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:greet',
      input: { who: 'Ada' },
    });
    expect(result.output).toEqual({
      who: 'Ada',
      greeting: { greeting: 'hello Ada', execution: 'run-1', machine: 'greet' },
      // lambda:invoke wraps the result as { Payload, StatusCode }
      echo: { echoed: 'hello Ada', statusCode: 200, functionName: 'engine-fixtures-local-echo' },
    });
    expect(result.stopDate).toBeDefined();
    expect(engine.describeExecution(started.executionArn)).toEqual(result);
  });

  it('records the whole history in order, Lambda invocations included', async () => {
    const engine = fixtureEngine();
    const { executionArn } = await engine.startExecution('greet', { who: 'Bob' }, 'history');
    await engine.waitForExecution(executionArn);
    const history = engine.getExecutionHistory(executionArn);
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'StateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionSucceeded',
      'StateExited',
      'StateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionSucceeded',
      'StateExited',
      'ExecutionSucceeded',
    ]);
    expect(history.map((e) => e.id)).toEqual(history.map((_, i) => i + 1));
    expect(history[0]).toMatchObject({ input: { who: 'Bob' } });
    expect(history[1]).toMatchObject({ stateName: 'Greet', stateType: 'Task', input: { who: 'Bob' } });
    expect(history[2]).toMatchObject({
      stateName: 'Greet',
      functionKey: 'greet',
      input: { name: 'Bob', execution: 'history', machine: 'greet' },
    });
    expect(history[3]).toMatchObject({
      output: { greeting: 'hello Bob', execution: 'history', machine: 'greet' },
    });
    expect(history[6]).toMatchObject({
      stateName: 'Echo',
      functionKey: 'echo',
      input: { message: 'hello Bob' },
    });
    expect(history[8]).toMatchObject({ stateName: 'Echo', output: { echo: { echoed: 'hello Bob' } } });
    expect(history[9]).toMatchObject({ output: engine.describeExecution(executionArn).output });
    const times = history.map((e) => Date.parse(e.timestamp));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });

  it('invokes handlers like Lambda: JSON round-trip both ways and a Lambda-like context', async () => {
    const engine = fixtureEngine();
    const { executionArn } = await engine.startExecution('greet', { who: 'Cy' });
    expect((await engine.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
    // The echo function's raw result, as recorded in the history.
    const echoed = engine
      .getExecutionHistory(executionArn)
      .find((e) => e.type === 'LambdaFunctionSucceeded' && e.functionKey === 'echo')!.output as EchoResult;
    expect(echoed.when).toBe('1970-01-01T00:00:00.000Z'); // a Date crossed JSON
    expect('dropped' in echoed).toBe(false); // undefined fields disappear
    expect(echoed.event).toEqual({ message: 'hello Cy' });
    const scheduled = engine
      .getExecutionHistory(executionArn)
      .find((e) => e.type === 'LambdaFunctionScheduled' && e.functionKey === 'echo');
    expect(scheduled!.input).toEqual({ message: 'hello Cy' }); // the handler's mutation of its event did not leak
    expect(echoed.context.functionName).toBe('engine-fixtures-local-echo');
    expect(echoed.context.awsRequestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(echoed.context.invokedFunctionArn).toBe(
      'arn:aws:lambda:local:000000000000:function:engine-fixtures-local-echo',
    );
    expect(echoed.context.memoryLimitInMB).toBe('256'); // provider.memorySize
    // echo has no timeout of its own: provider.timeout (8 s) applies
    expect(echoed.context.remainingMs).toBeGreaterThan(7000);
    expect(echoed.context.remainingMs).toBeLessThanOrEqual(8000);
  });

  it('runs middy handlers (their early-timeout timer reads getRemainingTimeInMillis)', async () => {
    const engine = fixtureEngine({
      resolveFunction: (key) => resolveFromYaml(key === 'task' ? 'middyEcho' : key),
    });
    const result = await engine.runExecution('single', { value: 21 });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ doubled: 42, memory: '512' });
    const output = result.output as { remainingMs: number; requestId: string };
    expect(output.remainingMs).toBeGreaterThan(7000);
    expect(output.remainingMs).toBeLessThanOrEqual(8000);
  });

  it('enforces the function timeout: Sandbox.Timedout, as Lambda reports it', async () => {
    const engine = fixtureEngine({
      handlers: {
        task: { handler: () => sleep(300).then(() => 'late'), timeoutSeconds: 0.05, functionName: 'slow' },
      },
    });
    const result = await engine.runExecution('single', {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Sandbox.Timedout');
    const cause = JSON.parse(result.cause!) as { errorType: string; errorMessage: string };
    expect(cause.errorType).toBe('Sandbox.Timedout');
    expect(cause.errorMessage).toMatch(/Task timed out after 0\.05 seconds/);
    expect(types(engine.getExecutionHistory(result.executionArn))).toContain('LambdaFunctionTimedOut');
  });
});

const fromYaml = serverlessFunctionResolver(FIXTURES);
const resolveFromYaml = (key: string) => fromYaml(key);

describe('LocalEngine: errors, Retry and Catch', () => {
  it('retries a named error (counted in the history) then catches another, with a Lambda-style Cause', async () => {
    let calls = 0;
    const engine = fixtureEngine({
      scale: 0.001,
      handlers: {
        flaky: async () => {
          calls += 1;
          if (calls <= 2) throw Object.assign(new Error(`attempt ${calls} failed`), { name: 'Transient' });
          const { handler } = await import('../fixtures/functions/fail.js');
          return handler({ reason: 'disk full' });
        },
      },
    });
    const result = await engine.runExecution('retry-catch', { ticket: '1234567' });
    expect(calls).toBe(3);
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as {
      ticket: string;
      outcome: string;
      failure: { Error: string; Cause: string };
    };
    expect(output.outcome).toBe('recovered');
    expect(output.ticket).toBe('1234567');
    expect(output.failure.Error).toBe('BundleBroken');
    expect(JSON.parse(output.failure.Cause)).toEqual({
      errorType: 'BundleBroken',
      errorMessage: 'the bundle broke: disk full',
      trace: [],
    });

    const history = engine.getExecutionHistory(result.executionArn);
    const retries = history.filter((e) => e.type === 'StateRetried');
    expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
    expect(retries[0]).toMatchObject({ stateName: 'Flaky', error: 'Transient', errorEquals: ['Transient'] });
    expect(history.filter((e) => e.type === 'LambdaFunctionFailed').map((e) => e.error)).toEqual([
      'Transient',
      'Transient',
      'BundleBroken',
    ]);
    expect(history.find((e) => e.type === 'StateCaught')).toMatchObject({
      stateName: 'Flaky',
      error: 'BundleBroken',
      next: 'Recover',
    });
    expect(types(history).slice(-3)).toEqual(['StateEntered', 'StateExited', 'ExecutionSucceeded']);
  });

  it('fails the execution when retries run out and nothing catches the error', async () => {
    let calls = 0;
    const engine = fixtureEngine({
      scale: 0.001,
      handlers: {
        flaky: () => {
          calls += 1;
          throw Object.assign(new Error('still down'), { name: 'Transient' });
        },
      },
    });
    const result = await engine.runExecution('retry-catch', {});
    expect(calls).toBe(3); // 1 + MaxAttempts 2
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Transient');
    expect(JSON.parse(result.cause!)).toEqual({
      errorType: 'Transient',
      errorMessage: 'still down',
      trace: [],
    });
    const last = engine.getExecutionHistory(result.executionArn).at(-1)!;
    expect(last).toMatchObject({ type: 'ExecutionFailed', error: 'Transient' });
  });

  it('reports a handler resolved from serverless.yml that throws a named error', async () => {
    const engine = fixtureEngine({
      resolveFunction: (key) => resolveFromYaml(key === 'task' ? 'fail' : key),
    });
    const result = await engine.runExecution('single', { reason: 'no space' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('BundleBroken');
    expect((JSON.parse(result.cause!) as { errorMessage: string }).errorMessage).toBe(
      'the bundle broke: no space',
    );
  });
});

describe('LocalEngine: Map, Choice, Wait and the time scale', () => {
  it('runs a Map with MaxConcurrency and the Map context', async () => {
    let active = 0;
    let maxActive = 0;
    const engine = fixtureEngine({
      handlers: {
        work: async (event: { value: number; index: number; run: string }) => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await sleep(20);
          active -= 1;
          return { tenfold: event.value * 10, index: event.index, run: event.run };
        },
      },
    });
    const result = await engine.runExecution('map', { items: [1, 2, 3, 4, 5] }, 'map-run');
    expect(result.status).toBe('SUCCEEDED');
    expect(maxActive).toBe(2);
    expect((result.output as { results: unknown[] }).results).toEqual(
      [1, 2, 3, 4, 5].map((v, i) => ({ tenfold: v * 10, index: i, run: 'map-run' })),
    );
    const history = engine.getExecutionHistory(result.executionArn);
    const iterations = history.filter((e) => e.type === 'MapIterationStarted');
    expect(iterations.map((e) => e.index).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(iterations.every((e) => e.stateName === 'Each')).toBe(true);
    expect(history.filter((e) => e.type === 'StateEntered' && e.stateName === 'Work').length).toBe(5);
    expect(history.filter((e) => e.type === 'MapIterationSucceeded').length).toBe(5);
  });

  it('plays a Choice/Wait polling loop on a scaled clock', async () => {
    let polls = 0;
    const clock = scaledClock(0.001);
    const engine = fixtureEngine({
      clock,
      handlers: { poll: () => ({ done: ++polls >= 3, polls }) },
    });
    const realStart = Date.now();
    const result = await engine.runExecution('poll', {});
    const realMs = Date.now() - realStart;
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ status: { done: true, polls: 3 } });
    expect(polls).toBe(3);
    // Two waits of 60 s of workflow time, played in about 120 ms.
    const clockMs = Date.parse(result.workflowTime.stopDate!) - Date.parse(result.workflowTime.startDate);
    expect(clockMs).toBeGreaterThanOrEqual(119_000);
    expect(clockMs).toBeLessThan(600_000);
    expect(realMs).toBeLessThan(2000);
    // startDate/stopDate and history timestamps are wall-clock times; the workflow's are beside them.
    expect(result.workflowTime.timeScale).toBe(0.001);
    expect(Date.parse(result.startDate)).toBeGreaterThanOrEqual(realStart);
    expect(Date.parse(result.stopDate!)).toBeLessThanOrEqual(Date.now());
    const history = engine.getExecutionHistory(result.executionArn);
    expect(Date.parse(history.at(-1)!.timestamp)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(history.at(-1)!.workflowTimestamp)).toBeGreaterThan(Date.now() + 100_000);
    const waits = history.filter((e) => e.type === 'StateEntered' && e.stateName === 'Pause');
    expect(waits.map((e) => e.waitSeconds)).toEqual([60, 60]);
  });

  it('times out the execution after its TimeoutSeconds of clock time', async () => {
    const engine = fixtureEngine({ scale: 0.001 });
    const realStart = Date.now();
    const result = await engine.runExecution('timeout', {});
    expect(Date.now() - realStart).toBeLessThan(2000); // not the hour-long Wait
    expect(result.status).toBe('TIMED_OUT');
    expect(result.error).toBe('States.Timeout');
    const clockMs = Date.parse(result.workflowTime.stopDate!) - Date.parse(result.workflowTime.startDate);
    expect(clockMs).toBeGreaterThanOrEqual(119_000);
    expect(clockMs).toBeLessThan(3_600_000);
    const history = engine.getExecutionHistory(result.executionArn);
    expect(types(history)).toEqual(['ExecutionStarted', 'StateEntered', 'ExecutionTimedOut']);
    expect(history[2]).toMatchObject({ error: 'States.Timeout' });
  });

  it('stops a running execution (ABORTED, with error and cause)', async () => {
    const engine = fixtureEngine({ scale: 0.01 }); // 3600 s wait = 36 s real, 120 s timeout = 1.2 s
    const { executionArn } = await engine.startExecution('timeout', {}, 'to-stop');
    await eventually(() => engine.getExecutionHistory(executionArn).find((e) => e.type === 'StateEntered'));
    expect(engine.describeExecution(executionArn).status).toBe('RUNNING');
    const { stopDate } = await engine.stopExecution(executionArn, 'Operator', 'changed my mind');
    const stopped = engine.describeExecution(executionArn);
    expect(stopped).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'changed my mind',
      stopDate,
    });
    const last = engine.getExecutionHistory(executionArn).at(-1);
    expect(last).toMatchObject({ type: 'ExecutionAborted', error: 'Operator', cause: 'changed my mind' });
    // Stopping again is a no-op.
    await expect(engine.stopExecution(executionArn)).resolves.toEqual({ stopDate });
  });
});

describe('LocalEngine: other resources and Parallel', () => {
  const SNS = 'arn:aws:states:::sns:publish';

  it('runs a non-Lambda resource through resourceHandlers, inside a Parallel branch', async () => {
    const published: unknown[] = [];
    const engine = fixtureEngine({
      resourceHandlers: {
        [SNS]: (input, meta) => {
          published.push({ input, meta });
          return { MessageId: 'm-1' };
        },
      },
    });
    const result = await engine.runExecution('publish', { message: 'bundle uploaded' }, 'pub');
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual([{ MessageId: 'm-1' }, { message: 'bundle uploaded' }]);
    expect(published).toEqual([
      {
        input: { TopicArn: 'arn:aws:sns:local:000000000000:ops', Message: 'bundle uploaded' },
        meta: { executionArn: result.executionArn, stateName: 'Publish', resource: SNS },
      },
    ]);
    const history = engine.getExecutionHistory(result.executionArn);
    expect(history.filter((e) => e.type === 'ParallelBranchStarted')).toHaveLength(2);
    expect(
      history.filter((e) => e.type === 'ParallelBranchSucceeded').every((e) => e.stateName === 'Fan'),
    ).toBe(true);
    expect(history.find((e) => e.type === 'TaskSucceeded')).toMatchObject({
      stateName: 'Publish',
      resource: SNS,
      output: { MessageId: 'm-1' },
    });
  });

  it('fails the task with the handler error name, and refuses the resource without a handler', async () => {
    const engine = fixtureEngine({
      resourceHandlers: {
        [SNS]: () => {
          throw Object.assign(new Error('topic does not exist'), { name: 'SNS.NotFoundException' });
        },
      },
    });
    const result = await engine.runExecution('publish', { message: 'x' });
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'SNS.NotFoundException',
      cause: 'topic does not exist',
    });
    const refused = await errorOf(fixtureEngine().startExecution('publish', { message: 'x' }));
    expect(refused.name).toBe('UnsupportedDefinition');
    expect(refused.message).toContain("Task state 'Publish'");
  });
});

describe('LocalEngine: execution names and listing', () => {
  it('is idempotent on name + input while running, and refuses a reused name otherwise', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const engine = fixtureEngine({ handlers: { task: async (e: unknown) => (await gate, e) } });
    const first = await engine.startExecution('single', { n: 1 }, 'change-42');
    const again = await engine.startExecution('single', { n: 1 }, 'change-42');
    expect(again).toEqual(first);
    expect(engine.listExecutions()).toHaveLength(1);

    const different = await errorOf(engine.startExecution('single', { n: 2 }, 'change-42'));
    expect(different.name).toBe('ExecutionAlreadyExists');

    release();
    await engine.waitForExecution(first.executionArn);
    const after = await errorOf(engine.startExecution('single', { n: 1 }, 'change-42'));
    expect(after.name).toBe('ExecutionAlreadyExists');

    // The same name under another state machine is another execution.
    const other = await engine.startExecution('greet', { who: 'Di' }, 'change-42');
    expect(other.executionArn).toBe('arn:aws:states:local:000000000000:execution:greet:change-42');
  });

  it('validates names like Step Functions and defaults to a uuid', async () => {
    const engine = fixtureEngine({ handlers: { task: () => 'ok' } });
    for (const bad of ['', 'has space', 'x'.repeat(81), 'a/b', 'é']) {
      expect((await errorOf(engine.startExecution('single', {}, bad))).name).toBe('InvalidName');
    }
    const { executionArn } = await engine.startExecution('single', {});
    expect(executionArn).toMatch(
      /:execution:single:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect((await errorOf(() => engine.describeExecution('arn:nope'))).name).toBe('ExecutionDoesNotExist');
    expect((await errorOf(engine.startExecution('no-such-machine', {}))).name).toBe(
      'StateMachineDoesNotExist',
    );
  });

  it('fails the start, not a state, when a function cannot be resolved', async () => {
    const engine = fixtureEngine(); // 'task' is not in the fixture serverless.yml
    const error = await errorOf(engine.startExecution('single', {}));
    expect(error.name).toBe('FunctionNotFound');
    expect(error.message).toContain("no function 'task'");
    expect(engine.listExecutions()).toEqual([]);
  });

  it('lists state machines and executions, and reports events to listeners', async () => {
    const events: EngineEvent[] = [];
    const arns: string[] = [];
    const engine = fixtureEngine({
      handlers: { task: () => 'ok' },
      onEvent: (event, executionArn) => {
        events.push(event);
        arns.push(executionArn);
      },
    });
    expect(await engine.listStateMachines()).toEqual(
      expect.arrayContaining([
        'approval',
        'greet',
        'map',
        'poll',
        'publish',
        'retry-catch',
        'single',
        'timeout',
      ]),
    );
    const a = await engine.runExecution('single', { a: 1 }, 'a');
    const b = await engine.runExecution('greet', { who: 'Eve' }, 'b');
    expect(engine.listExecutions().map((e) => e.name)).toEqual(['a', 'b']);
    expect(engine.listExecutions({ stateMachine: 'greet' }).map((e) => e.name)).toEqual(['b']);
    expect(engine.listExecutions({ status: 'RUNNING' })).toEqual([]);
    expect(events.filter((e) => e.executionArn === a.executionArn)).toHaveLength(
      engine.getExecutionHistory(a.executionArn).length,
    );
    expect(events.filter((e) => e.executionArn === b.executionArn).at(-1)).toMatchObject({
      type: 'ExecutionSucceeded',
      stateMachine: 'greet',
    });
    expect(arns).toEqual(events.map((e) => e.executionArn));
  });
});
