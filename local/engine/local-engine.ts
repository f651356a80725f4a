import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  StateMachine,
  type RunOptions,
} from 'aws-local-stepfunctions';
import { isoNow, realClock, type Clock } from '../../shared/clock.js';
import type { StartedExecution } from '../../shared/executions/executions.js';
import {
  listDefinitionKeys,
  prepareDefinition,
  readDefinition,
  definitionFile,
  type PreparedDefinition,
  type TaskBinding,
} from './definition-loader.js';
import { EngineError, ExecutionClosedError } from './errors.js';
import {
  causeText,
  fromLibraryEvent,
  type HistoryEvent,
  type LibraryEvent,
  type NewHistoryEvent,
} from './history.js';
import { isObject, jsonBytes, replaceInStrings, toJson, type Json } from './json.js';
import {
  LambdaFunctionError,
  invokeLambda,
  resolveWith,
  serverlessFunctionResolver,
  type FunctionResolver,
  type ResolvedFunction,
} from './lambda-invoker.js';
import { nextTurn, setLongTimeout } from './timers.js';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionDescription {
  executionArn: string;
  /** The state machine's key (file name under statemachines/), e.g. `support-bundle`. */
  stateMachine: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  /** Wall-clock ISO times (as Step Functions gives them). */
  startDate: string;
  stopDate?: string;
  /** The same moments on the workflow's clock (the one Wait states and handlers follow), and its scale. */
  workflowTime: { startDate: string; stopDate?: string; timeScale: number };
}

/** A callback task waiting for SendTaskSuccess / SendTaskFailure. */
export interface PendingTask {
  token: string;
  executionArn: string;
  stateMachine: string;
  stateName: string;
  functionKey: string;
  /** When the token was issued (wall-clock ISO time). */
  since: string;
  /** The payload the function received (with the token in it). */
  payload: unknown;
}

/** A history event, with the execution it belongs to (what `onEvent` listeners receive). */
export interface EngineEvent extends HistoryEvent {
  executionArn: string;
  stateMachine: string;
}

/** A history listener; `executionArn` is also in the event. */
export type EventListener = (event: EngineEvent, executionArn: string) => void;

/** Runs a Task whose Resource is an ARN other than Lambda (e.g. `arn:aws:states:::sns:publish`). */
export type ResourceHandler = (
  input: Json,
  meta: { executionArn: string; stateName: string; resource: string },
) => unknown;

export interface LocalEngineOptions {
  /** Project directory: holds statemachines/ and serverless.yml. */
  root: string;
  /** The clock Wait states, timeouts and retry intervals follow (default: real time). */
  clock?: Clock;
  /** Maps a serverless.yml function key to its handler (default: read serverless.yml under root). */
  resolveFunction?: FunctionResolver;
  /** Handlers for Task resources other than Lambda, keyed by resource ARN. */
  resourceHandlers?: Record<string, ResourceHandler>;
  /** Called for every history event of every execution. */
  onEvent?: EventListener;
  region?: string;
  account?: string;
}

/** Step Functions' limit on task output (SendTaskSuccess), in bytes. */
const MAX_PAYLOAD_BYTES = 256 * 1024;
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
const END_EVENTS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);

type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

interface Execution {
  arn: string;
  key: string;
  stateMachineArn: string;
  name: string;
  input: Json;
  inputText: string;
  status: ExecutionStatus;
  output?: Json;
  error?: string;
  cause?: string;
  /** Wall-clock ISO times. */
  startDate: string;
  stopDate?: string;
  /** The same on the workflow's clock. */
  workflowStartDate: string;
  workflowStopDate?: string;
  history: HistoryEvent[];
  /** The history is complete (the execution has ended). */
  closed: boolean;
  /** Stands for `$$.Task.Token` in the (static) context; replaced by a real token per callback. */
  sentinel: string;
  stopRequest?: { kind: 'stop'; error?: string; cause?: string } | { kind: 'timeout'; seconds: number };
  abort: () => void;
  cancelTimeout?: () => void;
  done: Promise<ExecutionDescription>;
}

interface Pending {
  token: string;
  execution: Execution;
  stateName: string;
  functionKey: string;
  since: string;
  payload: Json;
  settled: boolean;
  promise: Promise<Json>;
  resolve: (value: Json) => void;
  reject: (error: Error) => void;
  cancelTimer?: () => void;
}

/**
 * Runs statemachines/*.asl.json in-process with aws-local-stepfunctions, Task states bound to the
 * project's Lambda handlers. Executions, histories and task tokens live in memory.
 */
export class LocalEngine {
  readonly root: string;
  readonly clock: Clock;
  readonly region: string;
  readonly account: string;
  private readonly resolver: FunctionResolver;
  private readonly resourceHandlers: Record<string, ResourceHandler>;
  private readonly listeners = new Set<EventListener>();
  private readonly functions = new Map<string, Promise<ResolvedFunction>>();
  private readonly executions = new Map<string, Execution>();
  private readonly pending = new Map<string, Pending>();
  private readonly issuedTokens = new Set<string>();

  constructor(options: LocalEngineOptions) {
    this.root = path.resolve(options.root);
    this.clock = options.clock ?? realClock;
    this.region = options.region ?? 'local';
    this.account = options.account ?? '000000000000';
    this.resolver = options.resolveFunction ?? serverlessFunctionResolver(this.root);
    this.resourceHandlers = { ...options.resourceHandlers };
    if (options.onEvent) this.listeners.add(options.onEvent);
  }

  /** Adds a history listener; returns a function that removes it. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keys of statemachines/*.asl.json. */
  listStateMachines(): Promise<string[]> {
    return listDefinitionKeys(this.root);
  }

  /** Reads statemachines/<key>.asl.json and prepares it; throws if it cannot run locally. */
  async loadDefinition(key: string): Promise<PreparedDefinition> {
    const definition = await readDefinition(this.root, key);
    return prepareDefinition(
      key,
      definition,
      {
        scale: this.clock.scale,
        region: this.region,
        account: this.account,
        resources: Object.keys(this.resourceHandlers),
      },
      definitionFile(this.root, key),
    );
  }

  stateMachineArn(key: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${key}`;
  }

  executionArn(key: string, name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:execution:${key}:${name}`;
  }

  /**
   * Starts `key` with `input`. Like a Standard workflow: the same name and input while the first
   * execution runs returns it again; the same name otherwise fails with ExecutionAlreadyExists.
   */
  async startExecution(
    key: string,
    input: unknown = {},
    name: string = randomUUID(),
  ): Promise<StartedExecution> {
    if (!NAME_PATTERN.test(name)) {
      throw new EngineError(
        'InvalidName',
        `Invalid execution name '${name}': use 1 to 80 letters, digits, '-' or '_'`,
      );
    }
    const prepared = await this.loadDefinition(key);
    const value = toJson(input, 'InvalidExecutionInput', 'execution input');
    // Resolve (import) every function first, so a missing handler fails the start, not a state.
    await Promise.all(prepared.functionKeys.map((k) => this.resolveFunction(k)));

    const arn = this.executionArn(key, name);
    const inputText = JSON.stringify(value);
    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.inputText === inputText) {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw new EngineError(
        'ExecutionAlreadyExists',
        `Execution already exists: '${arn}' (${existing.status === 'RUNNING' ? 'running with a different input' : existing.status.toLowerCase()})`,
      );
    }
    const execution = this.launch(prepared, arn, name, value, inputText);
    return { executionArn: arn, startDate: execution.startDate };
  }

  /** Starts an execution and waits for its end. */
  async runExecution(key: string, input?: unknown, name?: string): Promise<ExecutionDescription> {
    const { executionArn } = await this.startExecution(key, input, name);
    return this.waitForExecution(executionArn);
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return this.describe(this.get(executionArn));
  }

  /** Resolves with the description once the execution has ended (and its history is complete). */
  async waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    return this.get(executionArn).done;
  }

  /** The execution's events, oldest first. */
  getExecutionHistory(executionArn: string): HistoryEvent[] {
    return this.get(executionArn).history.map((e) => ({ ...e }));
  }

  /** Executions, oldest first. */
  listExecutions(filter: { stateMachine?: string; status?: ExecutionStatus } = {}): ExecutionDescription[] {
    return [...this.executions.values()]
      .filter(
        (e) =>
          (filter.stateMachine === undefined || e.key === filter.stateMachine) &&
          (filter.status === undefined || e.status === filter.status),
      )
      .map((e) => this.describe(e));
  }

  /** Stops a running execution (status ABORTED); a no-op on an ended one. */
  async stopExecution(executionArn: string, error?: string, cause?: string): Promise<{ stopDate: string }> {
    const execution = this.get(executionArn);
    if (execution.status === 'RUNNING' && !execution.closed && !execution.stopRequest) {
      execution.stopRequest = {
        kind: 'stop',
        ...(error !== undefined && { error }),
        ...(cause !== undefined && { cause }),
      };
      execution.abort();
    }
    const ended = await execution.done;
    return { stopDate: ended.stopDate ?? new Date().toISOString() };
  }

  /** Callback tasks waiting for a token, oldest first. */
  listPendingTasks(executionArn?: string): PendingTask[] {
    return [...this.pending.values()]
      .filter((p) => !p.settled && (executionArn === undefined || p.execution.arn === executionArn))
      .map((p) => ({
        token: p.token,
        executionArn: p.execution.arn,
        stateMachine: p.execution.key,
        stateName: p.stateName,
        functionKey: p.functionKey,
        since: p.since,
        payload: p.payload,
      }));
  }

  /** Resumes the callback task holding `token`: its result is `output`. */
  async sendTaskSuccess(token: string, output: unknown): Promise<void> {
    if (output === undefined)
      throw new EngineError('InvalidOutput', 'SendTaskSuccess needs an output (JSON)');
    const value = toJson(output, 'InvalidOutput', 'task output');
    if (jsonBytes(value) > MAX_PAYLOAD_BYTES) {
      throw new EngineError('ValidationException', `The task output exceeds ${MAX_PAYLOAD_BYTES} bytes`);
    }
    const pending = this.takePending(token);
    this.append(pending.execution, {
      type: 'TaskTokenSucceeded',
      stateName: pending.stateName,
      functionKey: pending.functionKey,
      taskToken: token,
      output: value,
    });
    pending.resolve(value);
  }

  /** Fails the callback task holding `token` with `error` (what Retry/Catch match) and `cause`. */
  async sendTaskFailure(token: string, error = '', cause = ''): Promise<void> {
    if (error.length > 256 || cause.length > 32768) {
      throw new EngineError('ValidationException', 'error is limited to 256 characters and cause to 32768');
    }
    const pending = this.takePending(token);
    this.append(pending.execution, {
      type: 'TaskTokenFailed',
      stateName: pending.stateName,
      functionKey: pending.functionKey,
      taskToken: token,
      error,
      cause,
    });
    pending.reject(new EngineError(error, cause));
  }

  /** Stops every running execution and waits for them to end. */
  async close(): Promise<void> {
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    await Promise.all(
      running.map((e) => this.stopExecution(e.arn, 'LocalEngine.Closed', 'The local engine was closed')),
    );
  }

  // ---------------------------------------------------------------------------------------------

  private get(executionArn: string): Execution {
    const execution = this.executions.get(executionArn);
    if (!execution)
      throw new EngineError('ExecutionDoesNotExist', `Execution does not exist: '${executionArn}'`);
    return execution;
  }

  /**
   * Invokes a serverless.yml function as Lambda's synchronous Invoke does, outside any execution:
   * what the local HTTP API, the local SES inbound and the event bus use, so every trigger runs
   * the same handlers as the Task states. Errors are `LambdaFunctionError`s.
   */
  async invokeFunction(key: string, event: unknown): Promise<Json> {
    const fn = await this.resolveFunction(key);
    return invokeLambda(fn, event, {
      region: this.region,
      account: this.account,
      timeoutFactor: Math.max(1, this.clock.scale),
    });
  }

  /** The ARN a function has in this engine's region and account. */
  functionArn(key: string): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${key}`;
  }

  resolveFunction(key: string): Promise<ResolvedFunction> {
    let found = this.functions.get(key);
    if (!found) {
      found = resolveWith(this.resolver, key);
      this.functions.set(key, found);
      found.catch(() => this.functions.delete(key));
    }
    return found;
  }

  private launch(
    prepared: PreparedDefinition,
    arn: string,
    name: string,
    input: Json,
    inputText: string,
  ): Execution {
    const execution: Execution = {
      arn,
      key: prepared.key,
      stateMachineArn: this.stateMachineArn(prepared.key),
      name,
      input,
      inputText,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      workflowStartDate: isoNow(this.clock),
      history: [],
      closed: false,
      sentinel: `local-task-token-${randomUUID()}`,
      abort: () => undefined,
      done: Promise.resolve(undefined as never),
    };
    this.executions.set(arn, execution);

    const handlers: TaskHandlers = {};
    for (const binding of prepared.tasks.values()) {
      handlers[binding.stateName] = (taskInput) => this.runTask(execution, binding, taskInput);
    }
    const context = {
      Execution: {
        Id: arn,
        Name: name,
        // Handlers compare it with their clock: the workflow's.
        StartTime: execution.workflowStartDate,
        Input: input,
        RoleArn: `arn:aws:iam::${this.account}:role/${prepared.key}-local`,
      },
      StateMachine: { Id: execution.stateMachineArn, Name: prepared.key },
      Task: { Token: execution.sentinel },
    };
    const machine = new StateMachine(prepared.runDefinition, { validationOptions: { noValidate: true } });
    const run = machine.run(input, {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: prepared.waitTimeOverrides },
      context,
    });
    execution.abort = run.abort;
    const { timeoutSeconds } = prepared;
    if (timeoutSeconds !== undefined) {
      execution.cancelTimeout = setLongTimeout(
        () => {
          if (execution.closed || execution.stopRequest) return;
          execution.stopRequest = { kind: 'timeout', seconds: timeoutSeconds };
          execution.abort();
        },
        timeoutSeconds * 1000 * this.clock.scale,
      );
    }
    const history = this.record(execution, prepared, run.eventLogs as AsyncGenerator<unknown>);
    execution.done = this.settle(execution, run.result, history);
    return execution;
  }

  /** Copies the library's event log into the history, ending the execution on its last event. */
  private async record(
    execution: Execution,
    prepared: PreparedDefinition,
    logs: AsyncGenerator<unknown>,
  ): Promise<void> {
    // The library's StateRetried/StateCaught do not say which error they handle: the StateFailed
    // just before them (same state, same Map iteration) does.
    const failures = new Map<string, { error?: string; cause?: string }>();
    try {
      for await (const raw of logs) {
        const event = raw as LibraryEvent;
        const mapped = fromLibraryEvent(event);
        if (!mapped) continue;
        const timestamp = new Date(event.timestamp).toISOString();
        const workflowTimestamp = this.clockTime(event.timestamp);
        if (END_EVENTS.has(mapped.type)) {
          this.end(execution, { ...mapped, workflowTimestamp }, timestamp);
          continue;
        }
        const at = `${mapped.stateName}#${mapped.index ?? ''}`;
        if (mapped.type === 'StateFailed') failures.set(at, { error: mapped.error, cause: mapped.cause });
        if (mapped.type === 'StateRetried' || mapped.type === 'StateCaught')
          Object.assign(mapped, failures.get(at));
        if (mapped.type === 'StateEntered' && mapped.stateType === 'Wait' && mapped.stateName !== undefined) {
          const seconds = prepared.waitSeconds[mapped.stateName];
          if (seconds !== undefined) mapped.waitSeconds = seconds;
        }
        this.append(execution, { ...mapped, timestamp, workflowTimestamp });
      }
    } catch (error) {
      console.error(`local engine: history of ${execution.arn} stopped:`, error);
    }
  }

  /** Waits for the library's result and the history; ends the execution if the log did not. */
  private async settle(
    execution: Execution,
    result: Promise<unknown>,
    history: Promise<void>,
  ): Promise<ExecutionDescription> {
    let outcome: NewHistoryEvent;
    try {
      outcome = { type: 'ExecutionSucceeded', output: await result };
    } catch (error) {
      if (error instanceof ExecutionAbortedError) {
        outcome = { type: 'ExecutionAborted' };
      } else {
        const failure = (error instanceof ExecutionError ? error.cause : error) as Partial<Error> | undefined;
        outcome = {
          type: 'ExecutionFailed',
          error: failure?.name ?? 'Error',
          cause: causeText(failure?.message),
        };
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([history, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
    this.end(execution, outcome, new Date().toISOString());
    return this.describe(execution);
  }

  /** Records the execution's outcome, appends its last event, releases its timers and tokens. */
  private end(execution: Execution, event: NewHistoryEvent, timestamp: string): void {
    if (execution.closed) return;
    let last: NewHistoryEvent = event;
    if (event.type === 'ExecutionSucceeded') {
      execution.status = 'SUCCEEDED';
      execution.output = toJson(event.output);
    } else if (event.type === 'ExecutionFailed') {
      execution.status = 'FAILED';
      execution.error = event.error ?? 'Error';
      execution.cause = event.cause ?? '';
    } else if (execution.stopRequest?.kind === 'timeout' || event.type === 'ExecutionTimedOut') {
      const seconds = execution.stopRequest?.kind === 'timeout' ? execution.stopRequest.seconds : undefined;
      execution.status = 'TIMED_OUT';
      execution.error = 'States.Timeout';
      execution.cause = `The execution reached its TimeoutSeconds${seconds !== undefined ? ` (${seconds} s)` : ''}`;
      last = { type: 'ExecutionTimedOut', error: execution.error, cause: execution.cause };
    } else {
      execution.status = 'ABORTED';
      const stop = execution.stopRequest?.kind === 'stop' ? execution.stopRequest : undefined;
      if (stop?.error !== undefined) execution.error = stop.error;
      if (stop?.cause !== undefined) execution.cause = stop.cause;
      last = {
        type: 'ExecutionAborted',
        ...(stop?.error !== undefined && { error: stop.error }),
        ...(stop?.cause !== undefined && { cause: stop.cause }),
      };
    }
    execution.stopDate = timestamp;
    execution.workflowStopDate = event.workflowTimestamp ?? isoNow(this.clock);
    this.append(execution, { ...last, timestamp, workflowTimestamp: execution.workflowStopDate });
    execution.closed = true;
    execution.cancelTimeout?.();
    for (const pending of [...this.pending.values()]) {
      if (pending.execution !== execution) continue;
      this.discard(pending);
      pending.reject(new ExecutionClosedError(execution.arn));
    }
  }

  private append(execution: Execution, event: NewHistoryEvent): void {
    if (execution.closed) return;
    const { timestamp, workflowTimestamp, ...rest } = event;
    const fields = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    const full = {
      id: execution.history.length + 1,
      type: event.type,
      timestamp: timestamp ?? new Date().toISOString(),
      workflowTimestamp: workflowTimestamp ?? isoNow(this.clock),
      ...fields,
    } as HistoryEvent;
    execution.history.push(full);
    for (const listener of this.listeners) {
      try {
        listener({ ...full, executionArn: execution.arn, stateMachine: execution.key }, execution.arn);
      } catch (error) {
        console.error('local engine: an onEvent listener failed:', error);
      }
    }
  }

  /** The clock time of a real `Date.now()` value. */
  private clockTime(realMs: number): string {
    return new Date(this.clock.now() - (Date.now() - realMs) / this.clock.scale).toISOString();
  }

  private describe(e: Execution): ExecutionDescription {
    return {
      executionArn: e.arn,
      stateMachine: e.key,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      input: e.input,
      ...(e.output !== undefined && { output: e.output }),
      ...(e.error !== undefined && { error: e.error }),
      ...(e.cause !== undefined && { cause: e.cause }),
      startDate: e.startDate,
      ...(e.stopDate !== undefined && { stopDate: e.stopDate }),
      workflowTime: {
        startDate: e.workflowStartDate,
        ...(e.workflowStopDate !== undefined && { stopDate: e.workflowStopDate }),
        timeScale: this.clock.scale,
      },
    };
  }

  // --- tasks -------------------------------------------------------------------------------------

  private async runTask(execution: Execution, binding: TaskBinding, input: Json): Promise<Json> {
    // Runs synchronously up to the first await, before the library arms its task timer: a
    // callback's expiry timer armed here fires just before the library's own States.Timeout.
    const pending = binding.kind === 'callback' ? this.issueToken(execution, binding, input) : undefined;
    // Let the history catch up with the library's events (StateEntered) before adding ours.
    await nextTurn();
    if (execution.closed) {
      if (pending) this.discard(pending);
      throw new ExecutionClosedError(execution.arn);
    }
    switch (binding.kind) {
      case 'lambda':
        return this.invoke(execution, binding.stateName, binding.functionKey, input);
      case 'lambda-invoke': {
        const payload = isObject(input) && input.Payload !== undefined ? input.Payload : {};
        const result = await this.invoke(execution, binding.stateName, binding.functionKey, payload);
        return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      }
      case 'callback':
        return this.runCallback(execution, binding, pending!);
      case 'resource':
        return this.runResource(execution, binding.stateName, binding.resource, input);
    }
  }

  private async invoke(
    execution: Execution,
    stateName: string,
    functionKey: string,
    payload: Json,
  ): Promise<Json> {
    const fn = await this.resolveFunction(functionKey);
    this.append(execution, { type: 'LambdaFunctionScheduled', stateName, functionKey, input: payload });
    try {
      const output = await invokeLambda(fn, payload, {
        region: this.region,
        account: this.account,
        timeoutFactor: Math.max(1, this.clock.scale),
      });
      this.append(execution, { type: 'LambdaFunctionSucceeded', stateName, functionKey, output });
      return output;
    } catch (error) {
      const failure =
        error instanceof LambdaFunctionError
          ? error
          : new LambdaFunctionError(
              (error as Error)?.name ?? 'Error',
              (error as Error)?.message ?? String(error),
            );
      this.append(execution, {
        type: failure.errorType === 'Sandbox.Timedout' ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed',
        stateName,
        functionKey,
        error: failure.name,
        cause: failure.message,
      });
      throw failure;
    }
  }

  private issueToken(
    execution: Execution,
    binding: Extract<TaskBinding, { kind: 'callback' }>,
    input: Json,
  ): Pending {
    const token = randomBytes(48).toString('base64url');
    const processed = replaceInStrings(input, execution.sentinel, token);
    const payload = isObject(processed) && processed.Payload !== undefined ? processed.Payload : {};
    let resolve!: (value: Json) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<Json>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined); // rejected for a dead execution, possibly before anyone awaits it
    const pending: Pending = {
      token,
      execution,
      stateName: binding.stateName,
      functionKey: binding.functionKey,
      since: new Date().toISOString(),
      payload,
      settled: false,
      promise,
      resolve,
      reject,
    };
    this.pending.set(token, pending);
    this.issuedTokens.add(token);
    if (binding.runTimeoutSeconds !== undefined) {
      // Same delay as the library's (`TimeoutSeconds * 1e3`), armed first: the token expires,
      // then the library fails the state with its own States.Timeout (which Retry/Catch treat
      // as a timeout, not as States.TaskFailed).
      const timer = setTimeout(() => {
        if (pending.settled) return;
        this.discard(pending);
        this.append(execution, {
          type: 'TaskTokenTimedOut',
          stateName: pending.stateName,
          functionKey: pending.functionKey,
          taskToken: token,
          error: 'States.Timeout',
        });
      }, binding.runTimeoutSeconds * 1e3);
      pending.cancelTimer = () => clearTimeout(timer);
    }
    return pending;
  }

  private async runCallback(
    execution: Execution,
    binding: Extract<TaskBinding, { kind: 'callback' }>,
    pending: Pending,
  ): Promise<Json> {
    this.append(execution, {
      type: 'TaskTokenIssued',
      stateName: binding.stateName,
      functionKey: binding.functionKey,
      taskToken: pending.token,
      ...(binding.timeoutSeconds !== undefined && { timeoutSeconds: binding.timeoutSeconds }),
    });
    try {
      await this.invoke(execution, binding.stateName, binding.functionKey, pending.payload);
    } catch (error) {
      this.discard(pending);
      throw error;
    }
    return pending.promise;
  }

  private async runResource(
    execution: Execution,
    stateName: string,
    resource: string,
    input: Json,
  ): Promise<Json> {
    const handler = this.resourceHandlers[resource]!;
    this.append(execution, { type: 'TaskScheduled', stateName, resource, input });
    try {
      const output = toJson(await handler(input, { executionArn: execution.arn, stateName, resource }));
      this.append(execution, { type: 'TaskSucceeded', stateName, resource, output });
      return output;
    } catch (error) {
      const e = error as Partial<Error> | undefined;
      const failure = new EngineError(e?.name ?? 'Error', e?.message ?? String(error));
      this.append(execution, {
        type: 'TaskFailed',
        stateName,
        resource,
        error: failure.name,
        cause: failure.message,
      });
      throw failure;
    }
  }

  /** Removes a token from the pending set (it can no longer be used). */
  private discard(pending: Pending): void {
    pending.settled = true;
    pending.cancelTimer?.();
    this.pending.delete(pending.token);
  }

  private takePending(token: string): Pending {
    const pending = typeof token === 'string' ? this.pending.get(token) : undefined;
    if (!pending || pending.settled) {
      if (this.issuedTokens.has(token)) {
        throw new EngineError(
          'TaskTimedOut',
          'Task Timed Out: the task for this token does not exist anymore',
        );
      }
      throw new EngineError('InvalidToken', 'Invalid token: no task was issued this token');
    }
    this.discard(pending);
    return pending;
  }
}
