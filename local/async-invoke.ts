import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

  /**
   * Queues one invocation, as Lambda's 202 does: returns before the function runs. `onDone` is
   * called once the event is handled for good: `ok`, or `failed` (in the failed spool).
   */
  invoke(
    functionKey: string,
    event: unknown,
    onDone?: (outcome: 'ok' | 'failed') => void | Promise<void>,
    /** Called once, when the first attempt ended (its retries, if any, come later). */
    onFirstAttempt?: () => void,
  ): string {
    const requestId = randomUUID();
    const job = this.run(functionKey, event, requestId, onFirstAttempt)
      .then((outcome) => onDone?.(outcome))
      .catch((error: unknown) =>
        this.o.log.error(`async invoke of ${functionKey}: bookkeeping failed`, {
          detail: (error as Error).message,
        }),
      )
      .finally(() => this.inflight.delete(job));
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

  /**
   * Re-invokes the events of `functionKey` in the failed spool (all, or those whose request id or
   * SES message id is in `ids`): each record leaves the spool when its invocation starts and comes
   * back (with a new request id) only if it fails again. Returns the request ids replayed.
   */
  async replayFailed(functionKey: string, ids?: readonly string[]): Promise<string[]> {
    const dir = this.o.failedDir?.(functionKey);
    const records = await this.failedOf(functionKey);
    const wanted = (r: FailedInvocation): boolean =>
      !ids ||
      ids.includes(r.requestContext.requestId) ||
      ids.some((id) => sesMessageIds(r.requestPayload).includes(id));
    const replayed: string[] = [];
    for (const r of records.filter(wanted)) {
      if (dir) await rm(path.join(dir, `${r.requestContext.requestId}.json`), { force: true });
      else this.failed.splice(this.failed.indexOf(r), 1);
      this.invoke(functionKey, r.requestPayload);
      replayed.push(r.requestContext.requestId);
    }
    return replayed;
  }

  /** The failed spool of `functionKey`. */
  async failedOf(functionKey: string): Promise<FailedInvocation[]> {
    const dir = this.o.failedDir?.(functionKey);
    return dir
      ? readFailedInvocations(dir)
      : this.failed.filter((r) =>
          r.requestContext.functionArn.startsWith(`${this.o.functionArn(functionKey)}:`),
        );
  }

  private async run(
    functionKey: string,
    event: unknown,
    requestId: string,
    onFirstAttempt?: () => void,
  ): Promise<'ok' | 'failed'> {
    const retries = this.o.retries ?? 2;
    const delay = this.o.retryDelayMs ?? ((n: number) => n * 60_000);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.o.invoke(functionKey, event).finally(() => {
          if (attempt === 1) onFirstAttempt?.();
        });
        for (const l of this.listeners) l.onResult?.(functionKey, result, event);
        return 'ok';
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
          return 'failed';
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

/** The SES message ids of an SES receipt event (the keys of the raw messages in the mail bucket). */
export function sesMessageIds(event: unknown): string[] {
  const records = (event as { Records?: { ses?: { mail?: { messageId?: unknown } } }[] } | null)?.Records;
  return Array.isArray(records)
    ? records.map((r) => r.ses?.mail?.messageId).filter((id): id is string => typeof id === 'string')
    : [];
}
