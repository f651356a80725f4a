/**
 * Progress lines for a running execution, written to stderr so stdout keeps only the final JSON:
 *   [  0.4s] > CheckBundle
 *   [  0.5s] + CheckBundle (112 ms)
 */
/** What resumes each callback state, for the progress line. */
const CALLBACK_HINTS: Record<string, string> = {
  RequestApproval: 'ghes-ops approve|reject <execution>, or the link in the approval email',
  SendAndWaitForForwardedMail: 'the forwarded verification email reaching the service desk',
};

/** What a polling state says it waits for, read from its output (one line per poll). */
const POLL_NOTES: Record<string, (output: unknown) => unknown> = {
  CheckDrain: (o) => (o as { drain?: { waitingFor?: unknown } } | undefined)?.drain?.waitingFor,
};

export interface ProgressEvent {
  type: string;
  timestamp: number;
  stateName?: string;
  stateType?: string;
  error?: string;
  cause?: string;
  attempt?: number;
  waitSeconds?: number;
  index?: number;
  output?: unknown;
}

export function progressPrinter(
  write: (line: string) => void,
  startMs = Date.now(),
): (e: ProgressEvent) => void {
  const entered = new Map<string, number>();
  const stamp = (t: number): string => `[${((t - startMs) / 1000).toFixed(1).padStart(6)}s]`;
  return (e) => {
    const at = stamp(e.timestamp);
    const name = e.stateName ?? '';
    const where = e.index !== undefined ? ` [item ${e.index}]` : '';
    switch (e.type) {
      case 'ExecutionStarted':
        write(`${at} execution started`);
        break;
      case 'StateEntered':
        entered.set(name + where, e.timestamp);
        if (e.stateType === 'Wait')
          write(`${at} ~ ${name}${where}: waiting${e.waitSeconds !== undefined ? ` ${e.waitSeconds}s` : ''}`);
        else if (e.stateType !== 'Choice') write(`${at} > ${name}${where}`);
        break;
      case 'StateExited': {
        if (e.stateType === 'Choice' || e.stateType === 'Wait') break;
        const since = entered.get(name + where);
        write(
          `${at} + ${name}${where}${since !== undefined ? ` (${Math.max(0, e.timestamp - since)} ms)` : ''}`,
        );
        const note = POLL_NOTES[name]?.(e.output);
        if (typeof note === 'string' && note) write(`         waiting for ${note}`);
        break;
      }
      case 'StateFailed':
        write(`${at} x ${name}${where}: ${e.error ?? 'failed'}`);
        break;
      case 'StateRetried':
        write(`${at} ! ${name}${where}: retry ${e.attempt ?? ''} after ${e.error ?? 'an error'}`);
        break;
      case 'StateCaught':
        write(`${at} ! ${name}${where}: ${e.error ?? 'error'} caught, going on to the failure path`);
        break;
      case 'TaskTokenIssued':
        write(
          `${at} ~ ${name}: waiting for a callback${CALLBACK_HINTS[name] ? ` (${CALLBACK_HINTS[name]})` : ''}`,
        );
        break;
      case 'ExecutionSucceeded':
        write(`${at} execution succeeded`);
        break;
      case 'ExecutionFailed':
        write(`${at} execution failed: ${e.error ?? ''}`);
        break;
      case 'ExecutionTimedOut':
        write(`${at} execution timed out`);
        break;
      case 'ExecutionAborted':
        write(`${at} execution aborted`);
        break;
      default:
        break;
    }
  };
}
