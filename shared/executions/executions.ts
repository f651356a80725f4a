/** Starting and resuming workflow executions: Step Functions in AWS, the local engine locally. */
export interface StartedExecution {
  executionArn: string;
  startDate: string;
}

export interface Executions {
  /**
   * Starts `stateMachine` (its key, e.g. `support-bundle`). With a `name`, starting again with the
   * same name and input while the first is open is idempotent, as in Step Functions.
   */
  start(stateMachine: string, input: unknown, name?: string): Promise<StartedExecution>;
  /** Resumes an execution waiting on a task token (`.waitForTaskToken`). */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
}
