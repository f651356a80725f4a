import { command } from '../appliance/command.js';
import type { Deps } from '../runtime/deps.js';

/**
 * The GHES release of an appliance, read in preflight with `ghe-version` (the reference names
 * the command, not its wording: the first `major.minor.patch` in its output is taken). Later steps
 * pick commands by it: `ghe-repl-decommission` from 3.18, `ghe-repl-teardown -u` before.
 */
export interface GhesVersion {
  /** `3.17.2`, or undefined when it could not be read. */
  version?: string;
  /** What the appliance printed (first line), or why it could not be read. */
  seen: string;
}

const VERSION = /\b(\d+)\.(\d+)\.(\d+)\b/;

export function parseGhesVersion(output: string): string | undefined {
  const m = VERSION.exec(output);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer (both `x.y.z`). */
export function compareGhesVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The release from which `ghe-repl-decommission UUID` replaces `ghe-repl-teardown -u UUID`. */
export const DECOMMISSION_FROM = '3.18.0';

/** Best effort: a version that cannot be read is recorded as unknown, never a refusal. */
export async function readGhesVersion(target: string, deps: Pick<Deps, 'runner'>): Promise<GhesVersion> {
  try {
    const r = await deps.runner.run(target, command('ghe-version'), { timeoutSeconds: 30 });
    const text = [r.stdout, r.stderr].filter(Boolean).join('\n').trim();
    const version = r.exitCode === 0 ? parseGhesVersion(text) : undefined;
    return {
      ...(version ? { version } : {}),
      seen: text.split('\n')[0]?.slice(0, 200) || `(exit code ${r.exitCode}, no output)`,
    };
  } catch (error) {
    const e = error as Error;
    return { seen: `${e.name}: ${e.message.split('\n')[0]}` };
  }
}
