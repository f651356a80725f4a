import type { Clock } from '../../shared/clock.js';

/**
 * A clock that only moves when told: `sleep(ms)` and `advance(ms)` move it at once. Tests use it
 * to look at the sandbox at exact virtual times (and to get fixed timestamps in file names).
 * One sleeper at a time: concurrent sleeps each move the clock.
 */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Moves to an absolute time (never backwards). */
  set(ms: number): void;
}

/** Default start: 2025-06-02T09:00:00Z. */
export const MANUAL_CLOCK_START = Date.UTC(2025, 5, 2, 9, 0, 0);

export function manualClock(startMs = MANUAL_CLOCK_START): ManualClock {
  let t = startMs;
  const advance = (ms: number): void => {
    if (!(ms >= 0)) throw new RangeError('a manual clock only moves forward');
    t += ms;
  };
  return {
    now: () => t,
    sleep: async (ms) => advance(Math.max(0, ms)),
    advance,
    set: (ms) => advance(Math.max(0, ms - t)),
    scale: 0,
  };
}
