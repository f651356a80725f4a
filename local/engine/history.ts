/**
 * Execution history: the library's event log (state entered/exited/failed/retried/caught, Map
 * iterations, Parallel branches, execution start/end) merged with the engine's own events
 * (Lambda invocations, task tokens), in order, with wall-clock timestamps and the workflow clock's.
 */

export type HistoryEventType =
  // execution
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | 'ExecutionTimedOut'
  // states (from aws-local-stepfunctions)
  | 'StateEntered'
  | 'StateExited'
  | 'StateFailed'
  | 'StateRetried'
  | 'StateCaught'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'ParallelBranchStarted'
  | 'ParallelBranchSucceeded'
  | 'ParallelBranchFailed'
  // Lambda invocations
  | 'LambdaFunctionScheduled'
  | 'LambdaFunctionSucceeded'
  | 'LambdaFunctionFailed'
  | 'LambdaFunctionTimedOut'
  // callback tasks (.waitForTaskToken)
  | 'TaskTokenIssued'
  | 'TaskTokenSucceeded'
  | 'TaskTokenFailed'
  | 'TaskTokenTimedOut'
  // other resources (resourceHandlers)
  | 'TaskScheduled'
  | 'TaskSucceeded'
  | 'TaskFailed';

export interface HistoryEvent {
  /** 1-based position in the history. */
  id: number;
  type: HistoryEventType;
  /** Wall-clock ISO time (as in Step Functions' history). */
  timestamp: string;
  /** The same moment on the workflow's clock (what Wait states and handlers follow; ahead of the
   * wall clock when the local engine runs faster than real time). */
  workflowTimestamp: string;
  /** The state the event belongs to (the Map/Parallel state for iteration and branch events). */
  stateName?: string;
  stateType?: string;
  /** Map iteration index, for events inside a Map iteration (and Map iteration events). */
  index?: number;
  input?: unknown;
  output?: unknown;
  /** Failures; on StateRetried/StateCaught, the error being retried or caught. */
  error?: string;
  cause?: string;
  /** StateRetried: the retry number (1 = first retry). */
  attempt?: number;
  /** StateRetried/StateCaught: the matching retrier's or catcher's ErrorEquals. */
  errorEquals?: string[];
  /** StateEntered of a Wait state with a static Seconds: the wait, in clock seconds. */
  waitSeconds?: number;
  /** StateCaught: the catcher's target state. */
  next?: string;
  /** Lambda events: the serverless.yml function key. */
  functionKey?: string;
  /** Callback task events. */
  taskToken?: string;
  /** TaskTokenIssued: the state's TimeoutSeconds (clock seconds), if any. */
  timeoutSeconds?: number;
  /** Resource task events: the resource ARN. */
  resource?: string;
}

/** An event without the fields the execution assigns (id, timestamps). */
export type NewHistoryEvent = Omit<HistoryEvent, 'id' | 'timestamp' | 'workflowTimestamp'> & {
  timestamp?: string;
  workflowTimestamp?: string;
};

/** The library's event log entry (its types are not exported; this is the shape it yields). */
export interface LibraryEvent {
  type: string;
  timestamp: number;
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
  index?: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string };
  retry?: { retrier: { ErrorEquals: string[] }; attempt: number };
  catch?: { catcher: { ErrorEquals: string[]; Next: string } };
}

export function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause === undefined || cause === null) return '';
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

/**
 * Maps a library event to a history event. Execution end events (succeeded/failed/aborted) are
 * returned as-is; the engine completes them with the execution's outcome.
 */
export function fromLibraryEvent(event: LibraryEvent): NewHistoryEvent | undefined {
  const errorFields =
    event.Error !== undefined ? { error: String(event.Error), cause: causeText(event.Cause) } : {};
  switch (event.type) {
    case 'ExecutionStarted':
      return { type: 'ExecutionStarted', input: event.input };
    case 'ExecutionSucceeded':
      return { type: 'ExecutionSucceeded', output: event.output };
    case 'ExecutionFailed':
      return { type: 'ExecutionFailed', ...errorFields };
    case 'ExecutionAborted':
      return { type: 'ExecutionAborted' };
    case 'ExecutionTimeout':
      return { type: 'ExecutionTimedOut', error: 'States.Timeout' };
    case 'StateEntered':
    case 'StateExited':
    case 'StateFailed':
    case 'StateRetried':
    case 'StateCaught': {
      const base: NewHistoryEvent = {
        type: event.type,
        stateName: event.state?.name,
        stateType: event.state?.type,
        ...(event.index !== undefined && { index: event.index }),
      };
      if (event.type === 'StateEntered') return { ...base, input: event.state?.input };
      if (event.type === 'StateExited')
        return { ...base, input: event.state?.input, output: event.state?.output };
      if (event.type === 'StateFailed') return { ...base, ...errorFields };
      if (event.type === 'StateRetried') {
        return { ...base, attempt: event.retry?.attempt, errorEquals: event.retry?.retrier.ErrorEquals };
      }
      return { ...base, errorEquals: event.catch?.catcher.ErrorEquals, next: event.catch?.catcher.Next };
    }
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return {
        type: event.type,
        stateName: event.parentState?.name,
        stateType: 'Map',
        index: event.index,
        ...(event.type === 'MapIterationStarted' && { input: event.input }),
        ...(event.type === 'MapIterationSucceeded' && { output: event.output }),
        ...errorFields,
      };
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
    case 'ParallelBranchFailed':
      return {
        type: event.type,
        stateName: event.parentState?.name,
        stateType: 'Parallel',
        ...(event.type === 'ParallelBranchStarted' && { input: event.input }),
        ...(event.type === 'ParallelBranchSucceeded' && { output: event.output }),
        ...errorFields,
      };
    default:
      return undefined;
  }
}
