import type { ExecutionState, Executions, StartedExecution } from '../../shared/executions/executions.js';
import type { LocalEngine } from './local-engine.js';

/** `Executions` (shared/executions) on the local engine: what handlers get as `deps.executions` locally. */
export class LocalExecutions implements Executions {
  constructor(private readonly engine: LocalEngine) {}

  start(stateMachine: string, input: unknown, name?: string): Promise<StartedExecution> {
    return this.engine.startExecution(stateMachine, input, name);
  }

  sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    return this.engine.sendTaskSuccess(taskToken, output);
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    return this.engine.sendTaskFailure(taskToken, error, cause);
  }

  async status(executionArn: string): Promise<ExecutionState> {
    try {
      return this.engine.describeExecution(executionArn).status;
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return 'NOT_FOUND';
      throw error;
    }
  }
}
