/** Starting and resuming workflow executions: Step Functions in AWS, the local engine locally. */
export interface StartedExecution {
  executionArn: string;
  startDate: string;
}

export type ExecutionState =
  'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE' | 'NOT_FOUND';

export interface Executions {
  /**
   * Starts `stateMachine` (its key, e.g. `support-bundle`). With a `name`, starting again with the
   * same name and input while the first is open is idempotent, as in Step Functions.
   */
  start(stateMachine: string, input: unknown, name?: string): Promise<StartedExecution>;
  /** Resumes an execution waiting on a task token (`.waitForTaskToken`). */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
  /**
   * The status of an execution by ARN (`NOT_FOUND` when the service does not know it). Used by the
   * failover lock's stale-owner rule.
   */
  status(executionArn: string): Promise<ExecutionState>;
}
