/**
 * Time. Lambdas use the real clock; the local world can run on a scaled clock so that a two-hour
 * workflow plays out in seconds: the engine's Wait states, the sandbox's durations and `now()` in
 * the handlers all follow the same scale.
 */
export interface Clock {
  /** Milliseconds since the epoch, in this clock's time. */
  now(): number;
  /** Sleeps for `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
  /** Real milliseconds per clock millisecond (1 = real time, 0.001 = 1000x faster). */
  readonly scale: number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  scale: 1,
};

/** A clock that starts at the real time and runs `1/scale` times faster. */
export function scaledClock(scale: number, startReal = Date.now()): Clock {
  if (!(scale > 0)) throw new RangeError('time scale must be a positive number');
  if (scale === 1) return realClock;
  return {
    now: () => startReal + (Date.now() - startReal) / scale,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms * scale)),
    scale,
  };
}

export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
