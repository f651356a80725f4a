/**
 * Node fires a timer with a delay above 2^31-1 ms (about 24.8 days) immediately, with only a
 * warning. Every delay the engine hands to `setTimeout` (itself or through the library) goes
 * through these helpers.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The longest whole number of seconds whose milliseconds still fit a timer. */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** A delay usable by a single `setTimeout`: finite, >= 0, <= MAX_TIMER_MS. */
export function clampDelay(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** Seconds for a library timeout field (`* 1000` then `setTimeout`): > 0 and <= MAX_TIMER_SECONDS. */
export function clampSeconds(seconds: number): number {
  if (!(seconds > 0)) return 0.001;
  return Math.min(seconds, MAX_TIMER_SECONDS);
}

/** `setTimeout` for any delay: chains timers past MAX_TIMER_MS. Returns a cancel function. */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const due = Date.now() + Math.max(0, ms);
  const arm = (): void => {
    const left = due - Date.now();
    if (left > MAX_TIMER_MS) {
      timer = setTimeout(arm, MAX_TIMER_MS);
    } else {
      timer = setTimeout(fn, clampDelay(left));
    }
  };
  arm();
  return () => clearTimeout(timer);
}

/** Resolves after the pending promise callbacks and I/O of this turn have run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
