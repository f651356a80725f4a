import { ConfigError } from '../../shared/errors.js';

/**
 * How long the long-running appliance commands take, in virtual seconds (the sandbox's clock).
 * The defaults are moderate so that a workflow plays out quickly on a scaled clock; the realistic
 * figures are in the comments and in docs/sandbox.md.
 */
export interface Durations {
  /** `ghe-support-bundle`: generating the bundle (realistic: 2-10 minutes). */
  supportBundle: number;
  /** `ghe-cluster-support-bundle`: generating the bundle on every node (realistic: 5-20 minutes). */
  clusterSupportBundle: number;
  /** Sending a bundle or a file to GitHub Support (`-u`, `-t`, `ghe-support-upload`). */
  upload: number;
  /** `ghe-repl-promote` (realistic: 20-30 minutes, GitHub's documented average). */
  promote: number;
  /** Active Git operations, MySQL queries and Resque jobs reach zero this long after maintenance mode is set. */
  drain: number;
  /** `ghe-repl-teardown` and `ghe-repl-decommission`. */
  teardown: number;
  /** Time lost by a command that tries to reach an appliance that is down (SSH connect timeout). */
  sshConnectTimeout: number;
}

export const DEFAULT_DURATIONS: Readonly<Durations> = Object.freeze({
  supportBundle: 120,
  clusterSupportBundle: 240,
  upload: 15,
  promote: 180,
  drain: 20,
  teardown: 30,
  sshConnectTimeout: 10,
});

export const ZERO_DURATIONS: Readonly<Durations> = Object.freeze(
  Object.fromEntries(Object.keys(DEFAULT_DURATIONS).map((k) => [k, 0])) as unknown as Durations,
);

/**
 * The durations in force: defaults, then `overrides`, all multiplied by `factor` (the `slow`
 * scenario uses 100); `zero` makes every duration 0 (benchmarks).
 */
export function resolveDurations(
  overrides: Partial<Durations> = {},
  factor = 1,
  zero = false,
): Readonly<Durations> {
  const out: Durations = { ...DEFAULT_DURATIONS };
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(DEFAULT_DURATIONS, key)) {
      throw new ConfigError(
        `Unknown sandbox duration "${key}". Known durations: ${Object.keys(DEFAULT_DURATIONS).join(', ')}.`,
      );
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(
        `Sandbox duration "${key}" must be a number of seconds >= 0, got ${JSON.stringify(value)}.`,
      );
    }
    out[key as keyof Durations] = value;
  }
  for (const key of Object.keys(out) as (keyof Durations)[]) out[key] = zero ? 0 : out[key] * factor;
  return Object.freeze(out);
}
