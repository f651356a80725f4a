import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HistoryEvent } from './history.js';
import type { ExecutionDescription, LocalEngine } from './local-engine.js';

/** Where an execution was started: `ghes-ops run` in its own process, or the `ghes-ops start` stack. */
export type ExecutionSource = 'cli' | 'stack';

/** One execution as kept on disk: its description, its history, and the process that ran it. */
export interface ExecutionRecord {
  description: ExecutionDescription;
  history: HistoryEvent[];
  source: ExecutionSource;
  /** The process that ran it (a RUNNING record whose process is gone was cut short). */
  pid: number;
}

/** A listed execution: the description and where it ran. */
export type ListedExecution = ExecutionDescription & { source: ExecutionSource };

const SAFE = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * The local execution store: every execution of every local engine (`ghes-ops run`, the stack) is
 * written to `<stateDir>/executions/<workflow>/<name>.json` when it starts, while it waits for a
 * callback and when it ends. The stack lists these beside its own (live) executions, so a run
 * made in another process, or before a restart, is still there: what the Step Functions console
 * keeps for 90 days in AWS.
 */
export class ExecutionRecords {
  /**
   * Parsed records by file, kept while the file is unchanged (same inode, size and mtime: every
   * write replaces the file by a rename), so a console polling a long history reads only what changed.
   */
  private readonly cache = new Map<string, { key: string; record: ExecutionRecord }>();

  constructor(readonly dir: string) {}

  /** Records `engine`'s executions from now on; returns a function that stops it. */
  attach(engine: LocalEngine, source: ExecutionSource): () => void {
    return engine.subscribe((event, arn) => {
      if (
        event.type === 'ExecutionStarted' ||
        event.type === 'TaskTokenIssued' ||
        event.type === 'ExecutionSucceeded' ||
        event.type === 'ExecutionFailed' ||
        event.type === 'ExecutionAborted' ||
        event.type === 'ExecutionTimedOut'
      ) {
        try {
          this.write({
            description: engine.describeExecution(arn),
            history: engine.getExecutionHistory(arn),
            source,
            pid: process.pid,
          });
        } catch (error) {
          console.error(`execution store: could not record ${arn}: ${(error as Error).message}`);
        }
      }
    });
  }

  write(record: ExecutionRecord): void {
    const file = this.file(record.description.stateMachine, record.description.name);
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(record));
    renameSync(tmp, file);
  }

  /** One execution, or undefined. A RUNNING record of a process that is gone reads as ABORTED. */
  get(workflow: string, name: string): ExecutionRecord | undefined {
    const file = this.file(workflow, name);
    if (!file) return undefined;
    try {
      const st = statSync(file, { bigint: true });
      const key = `${st.ino}:${st.size}:${st.mtimeNs}`;
      let cached = this.cache.get(file);
      if (cached?.key !== key) {
        cached = { key, record: JSON.parse(readFileSync(file, 'utf8')) as ExecutionRecord };
        this.cache.set(file, cached);
      }
      return settled(cached.record);
    } catch {
      this.cache.delete(file);
      return undefined;
    }
  }

  /** Every recorded execution, oldest first. */
  list(): ExecutionRecord[] {
    const out: ExecutionRecord[] = [];
    let workflows: string[];
    try {
      workflows = readdirSync(this.dir).filter((w) => SAFE.test(w));
    } catch {
      return [];
    }
    for (const w of workflows) {
      let names: string[];
      try {
        names = readdirSync(path.join(this.dir, w)).filter((f) => f.endsWith('.json'));
      } catch {
        continue;
      }
      for (const f of names) {
        const r = this.get(w, f.slice(0, -'.json'.length));
        if (r) out.push(r);
      }
    }
    return out.sort((a, b) => a.description.startDate.localeCompare(b.description.startDate));
  }

  private file(workflow: string, name: string): string | undefined {
    if (!SAFE.test(workflow) || !SAFE.test(name)) return undefined;
    return path.join(this.dir, workflow, `${name}.json`);
  }
}

/** True while process `pid` exists (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function settled(r: ExecutionRecord): ExecutionRecord {
  if (r.description.status !== 'RUNNING' || r.pid === process.pid || alive(r.pid)) return r;
  return {
    ...r,
    description: {
      ...r.description,
      status: 'ABORTED',
      error: 'Local.ProcessExited',
      cause: `The process that ran it (pid ${r.pid}, ghes-ops ${r.source === 'cli' ? 'run' : 'start'}) exited before it ended; its last recorded state is in the history.`,
    },
  };
}

/**
 * The executions a stack shows: its engine's own (live), then those only on record (other
 * processes, earlier runs), oldest first.
 */
export function allExecutions(engine: LocalEngine, records: ExecutionRecords | undefined): ListedExecution[] {
  const live = engine.listExecutions().map((d) => ({ ...d, source: 'stack' as const }));
  const known = new Set(live.map((d) => d.executionArn));
  const recorded = (records?.list() ?? [])
    .filter((r) => !known.has(r.description.executionArn))
    .map((r) => ({ ...r.description, source: r.source }));
  return [...live, ...recorded].sort((a, b) => a.startDate.localeCompare(b.startDate));
}

/** One execution with its history: the engine's if it has it, else the record's. */
export function findExecution(
  engine: LocalEngine,
  records: ExecutionRecords | undefined,
  workflow: string,
  name: string,
): { description: ListedExecution; history: HistoryEvent[] } | undefined {
  const arn = engine.listExecutions({ stateMachine: workflow }).find((e) => e.name === name)?.executionArn;
  if (arn)
    return {
      description: { ...engine.describeExecution(arn), source: 'stack' },
      history: engine.getExecutionHistory(arn),
    };
  const r = records?.get(workflow, name);
  return r ? { description: { ...r.description, source: r.source }, history: r.history } : undefined;
}

/**
 * The engine's executions and those only on record, behind the engine's own read calls: what the
 * console and `ghes-ops executions` read (local/views/executions.ts), so a `ghes-ops run` made in
 * another process, or before a restart, is listed and can be opened. Without an engine (no stack
 * running) it is the records alone.
 */
export function recordedExecutions(
  engine:
    | Pick<LocalEngine, 'listExecutions' | 'describeExecution' | 'getExecutionHistory' | 'listPendingTasks'>
    | undefined,
  records: ExecutionRecords | undefined,
): {
  listExecutions(): ExecutionDescription[];
  describeExecution(executionArn: string): ExecutionDescription;
  getExecutionHistory(executionArn: string): HistoryEvent[];
  listPendingTasks(executionArn?: string): ReturnType<LocalEngine['listPendingTasks']>;
} {
  const live = (arn: string): boolean =>
    engine?.listExecutions().some((e) => e.executionArn === arn) ?? false;
  const recorded = (arn: string): ExecutionRecord => {
    const r = records?.list().find((x) => x.description.executionArn === arn);
    if (!r) throw new Error(`Execution ${arn} does not exist.`);
    return r;
  };
  return {
    listExecutions: () => {
      const own = engine?.listExecutions() ?? [];
      const known = new Set(own.map((d) => d.executionArn));
      const others = (records?.list() ?? [])
        .map((r) => r.description)
        .filter((d) => !known.has(d.executionArn));
      return [...own, ...others].sort((a, b) => a.startDate.localeCompare(b.startDate));
    },
    describeExecution: (arn) =>
      engine && live(arn) ? engine.describeExecution(arn) : recorded(arn).description,
    getExecutionHistory: (arn) =>
      engine && live(arn) ? engine.getExecutionHistory(arn) : recorded(arn).history,
    listPendingTasks: (arn) => engine?.listPendingTasks(arn) ?? [],
  };
}
