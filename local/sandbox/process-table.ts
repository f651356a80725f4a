import type { CommandResult, CommandStatus } from '../../shared/appliance/runner.js';
import type { CommandProgram } from './command-registry.js';

/**
 * The processes running on the sandbox appliances, as a discrete-event simulation in virtual
 * time. A process is a generator that yields seconds to wait; the sandbox fires due steps in time
 * order whenever someone looks (start, poll, inspection), so the state seen at virtual time T is
 * the same however often it is observed, and any Clock works (scaled, real or manual).
 */
export interface Job {
  readonly id: string;
  readonly seq: number;
  readonly target: string;
  readonly line: string;
  /** Virtual ms. */
  readonly startedAt: number;
  stdout: string;
  stderr: string;
  /** Virtual ms of the next step. */
  wakeAt: number;
  /** Virtual ms at which the appliance kills it (StartOptions.timeoutSeconds), or null. */
  killAt: number | null;
  program: CommandProgram | null;
  result: CommandResult | null;
  /**
   * Started detached (`nohup setsid ... &`) or internal to the sandbox: it is not tied to an SSH
   * session, so a dropped session does not end it (the appliance going down does).
   */
  detached: boolean;
}

/** Exit code of a command killed at its time limit (as `timeout(1)` reports it). */
const TIMEOUT_EXIT_CODE = 124;
/** Exit code when the connection to the appliance is lost (as ssh reports it). */
export const CONNECTION_LOST_EXIT_CODE = 255;
/** Exit code of a command whose simulation threw (a sandbox bug). */
const INTERNAL_ERROR_EXIT_CODE = 70;

export class ProcessTable {
  private readonly jobs = new Map<string, Job>();
  private seq = 0;

  constructor(private readonly idPrefix: string) {}

  spawn(target: string, line: string, startedAt: number, killAt: number | null, detached = false): Job {
    const seq = ++this.seq;
    const job: Job = {
      id: `${this.idPrefix}-${String(seq).padStart(6, '0')}`,
      seq,
      target,
      line,
      startedAt,
      stdout: '',
      stderr: '',
      wakeAt: startedAt,
      killAt,
      program: null,
      result: null,
      detached,
    };
    this.jobs.set(job.id, job);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  running(target?: string): Job[] {
    return [...this.jobs.values()].filter(
      (j) => j.result === null && (target === undefined || j.target === target),
    );
  }

  /** The running job with the earliest event at or before `upTo` (ties: the older job first). */
  nextDue(upTo: number): Job | undefined {
    let best: Job | undefined;
    let bestAt = Infinity;
    for (const job of this.jobs.values()) {
      if (job.result !== null) continue;
      const at = Math.min(job.wakeAt, job.killAt ?? Infinity);
      if (at <= upTo && at < bestAt) {
        best = job;
        bestAt = at;
      }
    }
    return best;
  }

  /** Fires the job's next event: its time limit, or its next step. Returns the event's time. */
  fire(job: Job, onTime: (at: number) => void): void {
    if (job.killAt !== null && job.killAt <= job.wakeAt) {
      onTime(job.killAt);
      this.finish(job, 'TimedOut', TIMEOUT_EXIT_CODE);
      return;
    }
    onTime(job.wakeAt);
    const program = job.program;
    if (!program) throw new Error(`sandbox job ${job.id} has no program`);
    let step: IteratorResult<number, number>;
    try {
      step = program.next();
    } catch (error) {
      job.stderr += `sandbox: internal error in ${JSON.stringify(job.line)}: ${(error as Error).stack ?? String(error)}\n`;
      this.finish(job, 'Failed', INTERNAL_ERROR_EXIT_CODE);
      return;
    }
    if (step.done) {
      this.finish(job, step.value === 0 ? 'Success' : 'Failed', step.value);
      return;
    }
    const seconds = step.value;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      job.stderr += `sandbox: internal error: a command yielded ${String(seconds)}, expected seconds >= 0\n`;
      this.finish(job, 'Failed', INTERNAL_ERROR_EXIT_CODE);
      return;
    }
    job.wakeAt += seconds * 1000;
  }

  /** Ends a job now, running its generator's `finally` blocks. */
  kill(job: Job, status: CommandStatus, exitCode: number, note?: string): void {
    if (job.result !== null) return;
    if (note) job.stderr += note;
    this.finish(job, status, exitCode);
  }

  private finish(job: Job, status: CommandStatus, exitCode: number): void {
    if (job.result === null && status !== 'Success' && job.program) {
      try {
        job.program.return(exitCode);
      } catch {
        /* a finally block threw: the job ends anyway */
      }
    }
    job.result = { status, exitCode, stdout: job.stdout, stderr: job.stderr };
    job.program = null;
  }
}
