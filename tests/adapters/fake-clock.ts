import type { Clock } from '../../shared/clock.js';

/** A clock whose `sleep` returns at once and moves time forward; records every sleep. */
export function fakeClock(start = Date.parse('2025-03-01T10:00:00.000Z')): Clock & {
  sleeps: number[];
  advance(ms: number): void;
} {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    scale: 1,
    sleeps,
    advance(ms: number) {
      now += ms;
    },
  };
}
