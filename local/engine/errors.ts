/**
 * Errors raised by the local engine itself (not by a workflow). Their `name` follows the Step
 * Functions API error codes where one exists (`ExecutionAlreadyExists`, `InvalidToken`...), so
 * callers can handle local and AWS errors the same way.
 */
export class EngineError extends Error {
  override readonly name: string;

  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** The definition cannot run locally (JSONata, Assign, unsupported resource...). Raised at load. */
export function unsupported(key: string, where: string, problem: string): EngineError {
  return new EngineError(
    'UnsupportedDefinition',
    `State machine '${key}'${where ? `, ${where}` : ''}: ${problem}`,
  );
}

/**
 * Rejection used to unblock a task handler whose execution has ended (stopped, timed out). The
 * library reads `isRetryable`/`isCatchable`, so the dead execution does not retry or catch it.
 */
export class ExecutionClosedError extends Error {
  override readonly name = 'LocalEngine.ExecutionClosed';
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(executionArn: string) {
    super(`Execution ${executionArn} has ended`);
  }
}
