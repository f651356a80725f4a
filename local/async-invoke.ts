import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Json } from './engine/json.js';
import { LambdaFunctionError } from './engine/lambda-invoker.js';

/**
 * Lambda's asynchronous invocation (`InvocationType: Event`: SES receipt rules, EventBridge rules
 * and schedules) for the local stack: the caller gets no result; a function that throws is retried
 * twice, after about one and two minutes (on the workflow clock); after the last attempt the event
 * goes to the on-failure destination, a record in Lambda's destination format written to the
 * failed spool (`<dir>/<requestId>.json`), the local twin of the dead-letter queue.
 */
export interface FailedInvocation {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetriesExhausted';
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: 200; executedVersion: '$LATEST'; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string };
}

export interface AsyncInvokerOptions {
  /** Runs the function once (the engine's `invokeFunction`). */
  invoke: (functionKey: string, event: unknown) => Promise<Json>;
  functionArn: (functionKey: string) => string;
  clock: Pick<Clock, 'sleep'>;
  log: Logger;
  /** Where a function's failed events are written; memory only without one (tests). */
  failedDir?: (functionKey: string) => string;
  /** Retries after the first attempt (Lambda: 2). */
  retries?: number;
  /** Wait before retry n (1-based), in workflow ms (Lambda: about 1 and 2 minutes). */
  retryDelayMs?: (retry: number) => number;
}

export interface InvocationListener {
  /** Each successful result (tests, benchmarks, the stack's terminal). */
  onResult?: (functionKey: string, result: Json, event: unknown) => void;
  /** Each event that went to the failed spool. */
  onFailure?: (functionKey: string, record: FailedInvocation) => void;
}

export class AsyncInvoker {
  /** Failed invocations of this process (also in `failedDir` when set). */
  readonly failed: FailedInvocation[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly listeners = new Set<InvocationListener>();

  constructor(private readonly o: AsyncInvokerOptions) {}

  /** Adds a listener; returns a function that removes it. */
  listen(listener: InvocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queues one invocation, as Lambda's 202 does: returns before the function runs. */
  invoke(functionKey: string, event: unknown): string {
    const requestId = randomUUID();
    const job = this.run(functionKey, event, requestId).finally(() => this.inflight.delete(job));
    this.inflight.add(job);
    return requestId;
  }

  /** Resolves when every queued invocation (and its retries) has finished. */
  async settled(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  get pending(): number {
    return this.inflight.size;
  }

  private async run(functionKey: string, event: unknown, requestId: string): Promise<void> {
    const retries = this.o.retries ?? 2;
    const delay = this.o.retryDelayMs ?? ((n: number) => n * 60_000);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.o.invoke(functionKey, event);
        for (const l of this.listeners) l.onResult?.(functionKey, result, event);
        return;
      } catch (error) {
        const e =
          error instanceof LambdaFunctionError
            ? { errorType: error.errorType, errorMessage: error.errorMessage }
            : {
                errorType: (error as Error)?.name ?? 'Error',
                errorMessage: (error as Error)?.message ?? String(error),
              };
        const final = attempt > retries;
        this.o.log[final ? 'error' : 'warn'](`async invoke of ${functionKey} failed`, {
          requestId,
          attempt,
          error: e.errorType,
          detail: e.errorMessage,
          final,
        });
        if (final) {
          await this.fail(functionKey, event, requestId, attempt, e);
          return;
        }
        await this.o.clock.sleep(delay(attempt));
      }
    }
  }

  private async fail(
    functionKey: string,
    event: unknown,
    requestId: string,
    attempts: number,
    error: { errorType: string; errorMessage: string },
  ): Promise<void> {
    const record: FailedInvocation = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${this.o.functionArn(functionKey)}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: error,
    };
    this.failed.push(record);
    const dir = this.o.failedDir?.(functionKey);
    if (dir) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(path.join(dir, `${requestId}.json`), JSON.stringify(record, null, 2) + '\n', {
        mode: 0o600,
      });
    }
    for (const l of this.listeners) l.onFailure?.(functionKey, record);
  }
}

/** The failed invocations kept in `dir`, oldest first. */
export async function readFailedInvocations(dir: string): Promise<FailedInvocation[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records = await Promise.all(
    names.map(async (n) => JSON.parse(await readFile(path.join(dir, n), 'utf8')) as FailedInvocation),
  );
  return records.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}
