import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { EngineError, unsupported } from './errors.js';
import { isObject } from './json.js';
import { MAX_TIMER_SECONDS, clampDelay, clampSeconds } from './timers.js';

/**
 * Reads `statemachines/<key>.asl.json` and turns it into what the library runs: Lambda bindings
 * resolved from `Fn::GetAtt`, timeouts and retry intervals scaled to the clock, Wait durations as
 * `waitTimeOverrides`, and everything the library would run silently wrong refused up front.
 */

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** A state machine key (file name without `.asl.json`), also the state machine's name. */
const KEY_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

export type AslDefinition = Record<string, unknown>;

/** How a Task state runs locally. */
export type TaskBinding =
  | {
      /** `Resource: {Fn::GetAtt: [key, Arn]}`: the function's result is the task's result. */
      kind: 'lambda';
      stateName: string;
      functionKey: string;
    }
  | {
      /** `arn:aws:states:::lambda:invoke`: result wrapped as `{Payload, StatusCode, ...}`. */
      kind: 'lambda-invoke';
      stateName: string;
      functionKey: string;
    }
  | {
      /** `arn:aws:states:::lambda:invoke.waitForTaskToken`: waits for SendTaskSuccess/Failure. */
      kind: 'callback';
      stateName: string;
      functionKey: string;
      /** The state's TimeoutSeconds, in workflow (clock) seconds. */
      timeoutSeconds?: number;
      /** The same timeout as given to the library, in real seconds. */
      runTimeoutSeconds?: number;
    }
  | {
      /** Any other resource ARN, run by a handler passed to the engine (`resourceHandlers`). */
      kind: 'resource';
      stateName: string;
      resource: string;
    };

export interface PreparedDefinition {
  key: string;
  file: string;
  /** The definition as read from the file. */
  definition: AslDefinition;
  /** The copy given to aws-local-stepfunctions (ARNs resolved, timeouts scaled, no TimeoutSeconds). */
  runDefinition: StateMachineDefinition;
  /** The top-level TimeoutSeconds (clock seconds), enforced by the engine. */
  timeoutSeconds?: number;
  /** Task bindings by state name (names are unique across the whole definition, Map/Parallel included). */
  tasks: Map<string, TaskBinding>;
  /** The serverless.yml function keys the definition uses. */
  functionKeys: string[];
  /** Real milliseconds for every Wait state with a static Seconds (by name). */
  waitTimeOverrides: Record<string, number>;
  /** The static Seconds of those Wait states (clock seconds). */
  waitSeconds: Record<string, number>;
}

export interface PrepareOptions {
  /** Real ms per clock ms (see shared/clock.ts). */
  scale: number;
  region: string;
  account: string;
  /** Task resource ARNs that have a local handler, besides the Lambda ones. */
  resources?: Iterable<string>;
}

export function definitionFile(root: string, key: string): string {
  return path.join(root, 'statemachines', `${key}.asl.json`);
}

/** Keys of `statemachines/*.asl.json`, sorted. */
export async function listDefinitionKeys(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.join(root, 'statemachines'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((n) => n.endsWith('.asl.json'))
    .map((n) => n.slice(0, -'.asl.json'.length))
    .filter((k) => KEY_PATTERN.test(k))
    .sort();
}

/** Reads and parses `statemachines/<key>.asl.json`. */
export async function readDefinition(root: string, key: string): Promise<AslDefinition> {
  if (!KEY_PATTERN.test(key)) {
    throw new EngineError('StateMachineDoesNotExist', `Invalid state machine key '${key}'`);
  }
  const file = definitionFile(root, key);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EngineError('StateMachineDoesNotExist', `No state machine '${key}': ${file} does not exist`);
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EngineError('InvalidDefinition', `${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new EngineError('InvalidDefinition', `${file} does not hold a JSON object`);
  return parsed;
}

/** Definitions (resolved JSON text) that passed asl-validator already. */
const validated = new Set<string>();

type Visit = (name: string, state: Record<string, unknown>) => void;

/** Calls `visit` for every state, recursing into Map item processors and Parallel branches. */
function forEachState(key: string, machine: Record<string, unknown>, visit: Visit): void {
  const states = machine.States;
  if (!isObject(states)) throw new EngineError('InvalidDefinition', `State machine '${key}' has no States`);
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state))
      throw new EngineError('InvalidDefinition', `State '${name}' of '${key}' is not an object`);
    visit(name, state);
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (isObject(processor)) forEachState(key, processor, visit);
    }
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches) if (isObject(branch)) forEachState(key, branch, visit);
    }
  }
}

/** `{"Fn::GetAtt": ["key", "Arn"]}` (or `"key.Arn"`) -> key. */
function getAttFunctionKey(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'Fn::GetAtt') return undefined;
  const att = value['Fn::GetAtt'];
  if (Array.isArray(att) && att.length === 2 && typeof att[0] === 'string' && att[1] === 'Arn') return att[0];
  if (typeof att === 'string' && att.endsWith('.Arn')) return att.slice(0, -'.Arn'.length);
  return undefined;
}

function lambdaArn(region: string, account: string, functionKey: string): string {
  return `arn:aws:lambda:${region}:${account}:function:${functionKey}`;
}

/** Deep copy with every `Fn::GetAtt [key, Arn]` replaced by a local Lambda ARN; other intrinsics refused. */
function resolveIntrinsics(key: string, value: unknown, options: PrepareOptions, where: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(key, v, options, where));
  if (!isObject(value)) return value;
  const fnKey = getAttFunctionKey(value);
  if (fnKey !== undefined) return lambdaArn(options.region, options.account, fnKey);
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
    throw unsupported(
      key,
      where,
      `the CloudFormation intrinsic ${keys[0]} cannot be resolved locally (only {"Fn::GetAtt": ["<functionKey>", "Arn"]} of a serverless.yml function is)`,
    );
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, resolveIntrinsics(key, v, options, `${where}.${k}`)]),
  );
}

function checkJsonPathOnly(key: string, name: string, state: Record<string, unknown>): void {
  const where = `state '${name}'`;
  if (state.QueryLanguage === 'JSONata') {
    throw unsupported(
      key,
      where,
      'QueryLanguage JSONata is not supported locally; write the state in JSONPath',
    );
  }
  const assigns = [state, ...asArray(state.Choices), ...asArray(state.Catch)].some(
    (o) => isObject(o) && 'Assign' in o,
  );
  if (assigns) {
    throw unsupported(
      key,
      where,
      'Assign (workflow variables) is not supported locally; pass data through the state input/output instead',
    );
  }
  for (const field of ['Arguments', 'Output']) {
    if (field in state) {
      throw unsupported(
        key,
        where,
        `'${field}' is a JSONata field; use Parameters/ResultSelector/OutputPath (JSONPath)`,
      );
    }
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function bindTask(
  key: string,
  name: string,
  state: Record<string, unknown>,
  options: PrepareOptions,
  resources: ReadonlySet<string>,
): TaskBinding {
  const where = `Task state '${name}'`;
  for (const field of ['HeartbeatSeconds', 'HeartbeatSecondsPath']) {
    if (field in state) throw unsupported(key, where, `${field} is not supported locally`);
  }
  const resource = state.Resource;
  const direct = getAttFunctionKey(resource);
  if (direct !== undefined) return { kind: 'lambda', stateName: name, functionKey: direct };

  if (resource === LAMBDA_INVOKE || resource === LAMBDA_INVOKE_CALLBACK) {
    const params = state.Parameters;
    const functionKey = isObject(params) ? getAttFunctionKey(params.FunctionName) : undefined;
    if (functionKey === undefined) {
      throw unsupported(
        key,
        where,
        `${resource} needs "Parameters": {"FunctionName": {"Fn::GetAtt": ["<functionKey>", "Arn"]}, "Payload": ...}`,
      );
    }
    if (resource === LAMBDA_INVOKE) return { kind: 'lambda-invoke', stateName: name, functionKey };
    if (state.TimeoutSecondsPath !== undefined && options.scale !== 1) {
      throw unsupported(
        key,
        where,
        'TimeoutSecondsPath cannot follow a time scale other than 1; use TimeoutSeconds',
      );
    }
    const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
    return {
      kind: 'callback',
      stateName: name,
      functionKey,
      ...(timeoutSeconds !== undefined && { timeoutSeconds }),
    };
  }

  if (typeof resource === 'string' && resources.has(resource))
    return { kind: 'resource', stateName: name, resource };
  if (typeof resource === 'string' && resource.startsWith('arn:aws:lambda:')) {
    throw unsupported(
      key,
      where,
      `write the Lambda resource as {"Fn::GetAtt": ["<functionKey>", "Arn"]} instead of the ARN '${resource}'`,
    );
  }
  throw unsupported(
    key,
    where,
    `the resource ${JSON.stringify(resource)} cannot run locally (supported: Fn::GetAtt of a function, ${LAMBDA_INVOKE}, ${LAMBDA_INVOKE_CALLBACK}, or an ARN given in resourceHandlers)`,
  );
}

function checkMap(key: string, name: string, state: Record<string, unknown>): void {
  const processor = state.ItemProcessor;
  const distributed =
    isObject(processor) &&
    isObject(processor.ProcessorConfig) &&
    processor.ProcessorConfig.Mode === 'DISTRIBUTED';
  const fields = [
    'ItemReader',
    'ResultWriter',
    'ItemBatcher',
    'ToleratedFailurePercentage',
    'ToleratedFailurePercentagePath',
    'ToleratedFailureCount',
    'ToleratedFailureCountPath',
    'Label',
  ].filter((f) => f in state);
  if (distributed || fields.length > 0) {
    throw unsupported(
      key,
      `Map state '${name}'`,
      `distributed Map is not supported locally${fields.length ? ` (${fields.join(', ')})` : ''}; use an inline Map`,
    );
  }
}

function waitOverride(
  key: string,
  name: string,
  state: Record<string, unknown>,
  scale: number,
): number | undefined {
  if (typeof state.Seconds === 'number') return clampDelay(state.Seconds * 1000 * scale);
  if (scale !== 1) {
    const field = ['SecondsPath', 'Timestamp', 'TimestampPath'].find((f) => f in state) ?? 'its duration';
    throw unsupported(
      key,
      `Wait state '${name}'`,
      `${field} cannot follow a time scale other than 1 (only a static Seconds can); run at scale 1 or use Seconds`,
    );
  }
  return undefined;
}

/** Scales Retry intervals to the clock (keeping backoff and jitter) and bounds them below the timer limit. */
function scaleRetriers(state: Record<string, unknown>, scale: number): void {
  if (!Array.isArray(state.Retry)) return;
  for (const retrier of state.Retry) {
    if (!isObject(retrier)) continue;
    const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
    retrier.IntervalSeconds = interval * scale;
    retrier.MaxDelaySeconds =
      typeof retrier.MaxDelaySeconds === 'number'
        ? clampSeconds(retrier.MaxDelaySeconds * scale)
        : MAX_TIMER_SECONDS;
  }
}

/** Validates `definition` and builds everything needed to run it locally. Throws on anything unsupported. */
export function prepareDefinition(
  key: string,
  definition: AslDefinition,
  options: PrepareOptions,
  file = '',
): PreparedDefinition {
  if (!(options.scale > 0)) throw new RangeError('time scale must be a positive number');
  if (definition.QueryLanguage === 'JSONata') {
    throw unsupported(
      key,
      '',
      'QueryLanguage JSONata is not supported locally; keep the definition in JSONPath',
    );
  }
  const resources = new Set(options.resources ?? []);
  const tasks = new Map<string, TaskBinding>();
  const waitTimeOverrides: Record<string, number> = {};
  const waitSeconds: Record<string, number> = {};

  forEachState(key, definition, (name, state) => {
    checkJsonPathOnly(key, name, state);
    if (state.Type === 'Task') tasks.set(name, bindTask(key, name, state, options, resources));
    if (state.Type === 'Map') checkMap(key, name, state);
    if (state.Type === 'Wait') {
      const ms = waitOverride(key, name, state, options.scale);
      if (ms !== undefined) {
        waitTimeOverrides[name] = ms;
        waitSeconds[name] = state.Seconds as number;
      }
    }
  });

  // Validate the definition as AWS would see it once serverless-step-functions resolved the ARNs.
  const resolved = resolveIntrinsics(key, definition, options, 'definition') as Record<string, unknown>;
  const resolvedText = JSON.stringify(resolved);
  if (!validated.has(resolvedText)) {
    try {
      new StateMachine(resolved as unknown as StateMachineDefinition); // runs asl-validator (~100 ms)
    } catch (error) {
      throw new EngineError(
        'InvalidDefinition',
        `State machine '${key}' is invalid: ${(error as Error).message}`,
      );
    }
    validated.add(resolvedText);
  }

  // A JSON copy, not structuredClone: under Jest's VM modules structuredClone returns objects of
  // another realm, which the library's isPlainObj rejects (nested Parameters would go unprocessed).
  const run = JSON.parse(resolvedText) as Record<string, unknown>;
  const topTimeout = run.TimeoutSeconds;
  const timeoutSeconds = typeof topTimeout === 'number' ? topTimeout : undefined;
  delete run.TimeoutSeconds;
  forEachState(key, run, (name, state) => {
    // `"ResultPath": "$"` means "replace the input with the result", the same as no ResultPath;
    // the library would instead set a property named "$", so drop it from the run copy.
    if (state.ResultPath === '$') delete state.ResultPath;
    for (const c of asArray(state.Catch)) if (isObject(c) && c.ResultPath === '$') delete c.ResultPath;
    scaleRetriers(state, options.scale);
    const binding = tasks.get(name);
    if (state.Type !== 'Task' || !binding) return;
    // Callback waits are workflow time; Lambda and resource tasks bound real work, which the
    // clock does not speed up, so they never get less than real time.
    const factor = binding.kind === 'callback' ? options.scale : Math.max(1, options.scale);
    if (typeof state.TimeoutSeconds === 'number') {
      const runTimeoutSeconds = clampSeconds(state.TimeoutSeconds * factor);
      state.TimeoutSeconds = runTimeoutSeconds;
      if (binding.kind === 'callback') binding.runTimeoutSeconds = runTimeoutSeconds;
    } else if (state.TimeoutSecondsPath === undefined) {
      // The library's default is 60 s; Step Functions has none (the function timeout applies).
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    }
  });

  const functionKeys = [
    ...new Set([...tasks.values()].flatMap((t) => (t.kind === 'resource' ? [] : [t.functionKey]))),
  ];
  return {
    key,
    file,
    definition,
    runDefinition: run as unknown as StateMachineDefinition,
    ...(timeoutSeconds !== undefined && { timeoutSeconds }),
    tasks,
    functionKeys,
    waitTimeOverrides,
    waitSeconds,
  };
}
