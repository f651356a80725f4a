import { afterEach, describe, expect, it } from '@jest/globals';
import { LocalExecutions } from '../../local/engine/local-executions.js';
import { closeEngines, errorOf, eventually, fixtureEngine } from './helpers.js';

afterEach(closeEngines);

interface ApprovalEvent {
  request: { change: string };
  taskToken: string;
  link: string;
}

/** An engine whose askApproval function records what it receives. */
function approvalEngine(scale = 0.001) {
  const received: ApprovalEvent[] = [];
  const engine = fixtureEngine({
    scale,
    handlers: {
      askApproval: (event: ApprovalEvent) => {
        received.push(event);
        return { sent: true };
      },
    },
  });
  return { engine, received };
}

describe('LocalEngine: callback tasks (.waitForTaskToken)', () => {
  it('issues a token, lists the pending task, and resumes on sendTaskSuccess', async () => {
    const { engine, received } = approvalEngine();
    const { executionArn } = await engine.startExecution(
      'approval',
      { request: { change: 'CHG-1' } },
      'approve-1',
    );
    const pending = await eventually(() => engine.listPendingTasks()[0]);
    expect(pending).toMatchObject({
      executionArn,
      stateMachine: 'approval',
      stateName: 'AskApproval',
      functionKey: 'askApproval',
    });
    expect(Number.isNaN(Date.parse(pending.since))).toBe(false);
    expect(pending.token.length).toBeGreaterThanOrEqual(64);

    // The function got the real token, wherever $$.Task.Token was used (States.Format included).
    await eventually(() => received[0]);
    expect(received[0]).toEqual({
      request: { change: 'CHG-1' },
      taskToken: pending.token,
      link: `https://approve.example/${pending.token}`,
    });
    expect(pending.payload).toEqual(received[0]);
    expect(engine.describeExecution(executionArn).status).toBe('RUNNING');

    await engine.sendTaskSuccess(pending.token, { approvedBy: 'ops' });
    const result = await engine.waitForExecution(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ request: { change: 'CHG-1' }, approval: { approvedBy: 'ops' } });
    expect(engine.listPendingTasks()).toEqual([]);

    const history = engine.getExecutionHistory(executionArn);
    expect(history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'StateEntered',
      'TaskTokenIssued',
      'LambdaFunctionScheduled',
      'LambdaFunctionSucceeded',
      'TaskTokenSucceeded',
      'StateExited',
      'StateEntered',
      'StateExited',
      'ExecutionSucceeded',
    ]);
    expect(history[2]).toMatchObject({
      stateName: 'AskApproval',
      taskToken: pending.token,
      timeoutSeconds: 600,
    });
    expect(history[5]).toMatchObject({ taskToken: pending.token, output: { approvedBy: 'ops' } });

    // A used token is gone, like in Step Functions; a token never issued is invalid.
    expect((await errorOf(engine.sendTaskSuccess(pending.token, {}))).name).toBe('TaskTimedOut');
    expect((await errorOf(engine.sendTaskFailure('not-a-token', 'X', 'y'))).name).toBe('InvalidToken');
  });

  it('fails the task on sendTaskFailure (error and cause reach Catch)', async () => {
    const { engine } = approvalEngine();
    const { executionArn } = await engine.startExecution('approval', { request: { change: 'CHG-2' } });
    const { token } = await eventually(() => engine.listPendingTasks(executionArn)[0]);
    await engine.sendTaskFailure(token, 'Rejected', 'not during the freeze');
    const result = await engine.waitForExecution(executionArn);
    // Caught by States.TaskFailed, then the Fail state re-raises the error and cause.
    expect(result).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'not during the freeze' });
    const history = engine.getExecutionHistory(executionArn);
    expect(history.find((e) => e.type === 'TaskTokenFailed')).toMatchObject({
      taskToken: token,
      error: 'Rejected',
      cause: 'not during the freeze',
    });
    expect(history.find((e) => e.type === 'StateCaught')).toMatchObject({
      stateName: 'AskApproval',
      next: 'Rejected',
    });
  });

  it('times out after TimeoutSeconds on the scaled clock, as States.Timeout (not States.TaskFailed)', async () => {
    const { engine } = approvalEngine(0.001); // 600 s of workflow time = 0.6 s
    const realStart = Date.now();
    const { executionArn } = await engine.startExecution('approval', { request: { change: 'CHG-3' } });
    const { token } = await eventually(() => engine.listPendingTasks(executionArn)[0]);
    const result = await engine.waitForExecution(executionArn);
    const realMs = Date.now() - realStart;
    expect(realMs).toBeGreaterThanOrEqual(550);
    expect(realMs).toBeLessThan(3000);
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'ApprovalExpired',
      cause: 'nobody answered in time',
    });

    const history = engine.getExecutionHistory(executionArn);
    const types = history.map((e) => e.type);
    expect(types.indexOf('TaskTokenTimedOut')).toBeLessThan(types.indexOf('StateFailed'));
    expect(history.find((e) => e.type === 'StateFailed')).toMatchObject({
      stateName: 'AskApproval',
      error: 'States.Timeout',
    });
    expect(history.find((e) => e.type === 'StateCaught')).toMatchObject({
      next: 'Expired',
      error: 'States.Timeout',
    });
    expect(engine.listPendingTasks()).toEqual([]);
    expect((await errorOf(engine.sendTaskSuccess(token, { late: true }))).name).toBe('TaskTimedOut');
  });

  it('drops the pending task when the execution is stopped', async () => {
    const { engine } = approvalEngine(1); // real time: the 600 s timeout never fires in this test
    const { executionArn } = await engine.startExecution('approval', { request: { change: 'CHG-4' } });
    const { token } = await eventually(() => engine.listPendingTasks(executionArn)[0]);
    await engine.stopExecution(executionArn, 'Superseded', 'a newer change replaced it');
    expect(engine.describeExecution(executionArn)).toMatchObject({ status: 'ABORTED', error: 'Superseded' });
    expect(engine.listPendingTasks()).toEqual([]);
    expect((await errorOf(engine.sendTaskSuccess(token, {}))).name).toBe('TaskTimedOut');
  });

  it('validates the output of sendTaskSuccess', async () => {
    const { engine } = approvalEngine(1);
    const { executionArn } = await engine.startExecution('approval', { request: { change: 'CHG-5' } });
    const { token } = await eventually(() => engine.listPendingTasks(executionArn)[0]);
    expect((await errorOf(engine.sendTaskSuccess(token, undefined))).name).toBe('InvalidOutput');
    expect((await errorOf(engine.sendTaskSuccess(token, 'x'.repeat(300 * 1024)))).name).toBe(
      'ValidationException',
    );
    // The token survived the rejected calls.
    await engine.sendTaskSuccess(token, 'ok');
    expect((await engine.waitForExecution(executionArn)).output).toEqual({
      request: { change: 'CHG-5' },
      approval: 'ok',
    });
  });
});

describe('LocalExecutions', () => {
  it('implements Executions on the engine: start (idempotent by name) and resume', async () => {
    const { engine } = approvalEngine(1);
    const executions = new LocalExecutions(engine);
    const started = await executions.start('approval', { request: { change: 'CHG-6' } }, 'chg-6');
    expect(await executions.start('approval', { request: { change: 'CHG-6' } }, 'chg-6')).toEqual(started);
    const { token } = await eventually(() => engine.listPendingTasks(started.executionArn)[0]);
    await executions.sendTaskSuccess(token, { approvedBy: 'cli' });
    const done = await engine.waitForExecution(started.executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { approval: { approvedBy: 'cli' } } });

    const second = await executions.start('approval', { request: { change: 'CHG-7' } });
    const pending = await eventually(() => engine.listPendingTasks(second.executionArn)[0]);
    await executions.sendTaskFailure(pending.token, 'Rejected', 'no');
    expect(await engine.waitForExecution(second.executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'Rejected',
      cause: 'no',
    });
  });
});
