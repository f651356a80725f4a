import { randomUUID } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { parse as parseYaml } from 'yaml';
import { EngineError } from './errors.js';
import { isObject, toJson, type Json } from './json.js';
import { clampDelay } from './timers.js';

/** A Lambda handler as exported by a module under functions/ (any event type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LambdaHandler = (event: any, context: Context) => unknown;

/** A function ready to invoke. */
export interface ResolvedFunction {
  /** Its key in serverless.yml (`functions.<key>`). */
  key: string;
  handler: LambdaHandler;
  /** The Lambda timeout, in seconds (serverless.yml `timeout`, default 6). */
  timeoutSeconds: number;
  /** The deployed function name (context.functionName). */
  functionName: string;
  memorySize: number;
}

/**
 * Finds the handler of a serverless.yml function key. May return the handler alone, or the
 * handler with its settings.
 */
export type FunctionResolver = (
  key: string,
) =>
  | LambdaHandler
  | (Partial<ResolvedFunction> & { handler: LambdaHandler })
  | Promise<LambdaHandler | (Partial<ResolvedFunction> & { handler: LambdaHandler })>;

/** Serverless Framework defaults. */
const DEFAULT_TIMEOUT_SECONDS = 6;
const DEFAULT_MEMORY_SIZE = 1024;

export async function resolveWith(resolver: FunctionResolver, key: string): Promise<ResolvedFunction> {
  const found = await resolver(key);
  const fn = typeof found === 'function' ? { handler: found } : found;
  if (!fn || typeof fn.handler !== 'function') {
    throw new EngineError('FunctionNotFound', `The function resolver returned no handler for '${key}'`);
  }
  return {
    key,
    handler: fn.handler,
    timeoutSeconds: fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    functionName: fn.functionName ?? key,
    memorySize: fn.memorySize ?? DEFAULT_MEMORY_SIZE,
  };
}

interface ServerlessFunctionConfig {
  handler: string;
  timeoutSeconds: number;
  memorySize: number;
  functionName: string;
}

/** A plain (already resolved) number from serverless.yml, else undefined (`${...}` variables). */
function plainNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && value > 0) return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

function plainString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && !value.includes('${') ? value : undefined;
}

/** Reads `functions.*` of a serverless.yml (plain YAML). */
export async function readServerlessFunctions(file: string): Promise<Map<string, ServerlessFunctionConfig>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EngineError(
        'FunctionNotFound',
        `${file} does not exist: the engine maps Fn::GetAtt function keys to handlers through it (or pass resolveFunction)`,
      );
    }
    throw error;
  }
  const doc: unknown = parseYaml(text, { logLevel: 'error' });
  if (!isObject(doc)) throw new EngineError('FunctionNotFound', `${file} is not a YAML mapping`);
  const provider = isObject(doc.provider) ? doc.provider : {};
  const service = plainString(doc.service);
  const functions = isObject(doc.functions) ? doc.functions : {};
  const result = new Map<string, ServerlessFunctionConfig>();
  for (const [key, fn] of Object.entries(functions)) {
    if (!isObject(fn) || typeof fn.handler !== 'string') continue;
    result.set(key, {
      handler: fn.handler,
      timeoutSeconds: plainNumber(fn.timeout) ?? plainNumber(provider.timeout) ?? DEFAULT_TIMEOUT_SECONDS,
      memorySize: plainNumber(fn.memorySize) ?? plainNumber(provider.memorySize) ?? DEFAULT_MEMORY_SIZE,
      functionName: plainString(fn.name) ?? (service ? `${service}-local-${key}` : key),
    });
  }
  return result;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The default resolver: `functions.<key>.handler` of `<root>/serverless.yml`, e.g.
 * `functions/support-bundle/start-bundle.handler` -> export `handler` of
 * `<root>/functions/support-bundle/start-bundle.ts` (or `.js`, `.mjs`), imported by file URL.
 * serverless.yml is read on first use (and again after a failure).
 */
export function serverlessFunctionResolver(
  root: string,
  file = path.join(root, 'serverless.yml'),
): FunctionResolver {
  let functions: Promise<Map<string, ServerlessFunctionConfig>> | undefined;
  return async (key) => {
    functions ??= readServerlessFunctions(file).catch((error: unknown) => {
      functions = undefined;
      throw error;
    });
    const config = (await functions).get(key);
    if (!config)
      throw new EngineError(
        'FunctionNotFound',
        `${file} defines no function '${key}' (functions.${key}.handler)`,
      );
    const dot = config.handler.lastIndexOf('.');
    if (dot <= 0) {
      throw new EngineError(
        'FunctionNotFound',
        `functions.${key}.handler '${config.handler}' is not <module path>.<export>`,
      );
    }
    const modulePath = path.resolve(root, config.handler.slice(0, dot));
    const exportName = config.handler.slice(dot + 1);
    let moduleFile: string | undefined;
    for (const ext of ['.ts', '.js', '.mjs']) {
      if (await exists(modulePath + ext)) {
        moduleFile = modulePath + ext;
        break;
      }
    }
    if (!moduleFile) {
      throw new EngineError(
        'FunctionNotFound',
        `functions.${key}.handler: no module ${modulePath}.ts (or .js, .mjs)`,
      );
    }
    const mod = (await import(pathToFileURL(moduleFile).href)) as Record<string, unknown>;
    const handler = mod[exportName];
    if (typeof handler !== 'function') {
      throw new EngineError('FunctionNotFound', `${moduleFile} has no exported function '${exportName}'`);
    }
    return {
      handler: handler as LambdaHandler,
      timeoutSeconds: config.timeoutSeconds,
      memorySize: config.memorySize,
      functionName: config.functionName,
    };
  };
}

/**
 * A failed invocation as Step Functions reports it: `name` is Lambda's errorType (what Retry and
 * Catch match), `message` is the Cause, Lambda's JSON error document.
 */
export class LambdaFunctionError extends Error {
  override readonly name: string;
  readonly errorType: string;
  readonly errorMessage: string;

  constructor(errorType: string, errorMessage: string) {
    super(JSON.stringify({ errorType, errorMessage, trace: [] }));
    this.name = errorType;
    this.errorType = errorType;
    this.errorMessage = errorMessage;
  }
}

export interface InvokeOptions {
  region: string;
  account: string;
  /**
   * Real ms per second of function timeout, divided by 1000 (1 = real time). Function timeouts
   * bound real work, so the engine passes max(1, clock scale).
   */
  timeoutFactor?: number;
}

/**
 * Invokes `fn` as Lambda would (RequestResponse): the event and the result cross a JSON
 * round-trip, the context is Lambda-like, the function timeout is enforced (error
 * `Sandbox.Timedout`), and an error becomes a `LambdaFunctionError`.
 */
export async function invokeLambda(
  fn: ResolvedFunction,
  event: unknown,
  options: InvokeOptions,
): Promise<Json> {
  const requestId = randomUUID();
  const timeoutMs = fn.timeoutSeconds * 1000 * (options.timeoutFactor ?? 1);
  const deadline = Date.now() + timeoutMs;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${options.account}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {
      throw new Error('context.done is not supported: return a value or a promise');
    },
    fail: () => {
      throw new Error('context.fail is not supported: throw an error');
    },
    succeed: () => {
      throw new Error('context.succeed is not supported: return a value or a promise');
    },
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LambdaFunctionError(
            'Sandbox.Timedout',
            `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          ),
        ),
      clampDelay(timeoutMs),
    );
  });
  try {
    const payload = toJson(event, 'InvalidRequestContentException', 'event');
    let result: unknown;
    try {
      result = await Promise.race([Promise.resolve().then(() => fn.handler(payload, context)), timedOut]);
    } catch (error) {
      if (error instanceof LambdaFunctionError) throw error;
      throw asLambdaError(error);
    }
    try {
      return toJson(result, 'Runtime.MarshalError', 'function result');
    } catch (error) {
      throw new LambdaFunctionError('Runtime.MarshalError', (error as Error).message);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** How the Node.js Lambda runtime reports a thrown value. */
function asLambdaError(error: unknown): LambdaFunctionError {
  if (error instanceof Error || (isObject(error) && typeof error.message === 'string')) {
    const e = error as Error;
    return new LambdaFunctionError(typeof e.name === 'string' && e.name ? e.name : 'Error', e.message);
  }
  return new LambdaFunctionError('Error', String(error));
}
