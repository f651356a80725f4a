import { command, renderShell } from '../appliance/command.js';
import type { Deps } from '../runtime/deps.js';
import type { Fields } from '../validate.js';
import { outputTail } from '../support-bundle/output.js';
import { HookFailed } from './errors.js';
import type { FailoverRequest } from './request.js';

/**
 * Pre- and post-failover hooks, like orchestrator's PreFailoverProcesses/PostFailoverProcesses,
 * but never a shell line: each hook is one allow-listed appliance command with checked arguments,
 * run on the old or the new primary. A failing pre-hook aborts the failover before anything is
 * changed; a failing post-hook is reported and does not undo the failover.
 */
export interface Hook {
  on: 'old-primary' | 'new-primary';
  argv: string[];
}

export interface HookRun {
  phase: 'pre' | 'post';
  on: Hook['on'];
  target: string;
  command: string;
  exitCode: number | null;
  ok: boolean;
  output: string;
  at: string;
}

/** Which hook commands are allowed, and their arguments. */
const HOOK_RULES: Record<string, (args: string[]) => string | undefined> = {
  // A banner on every page: "GHES fails over at 02:00", then -u to remove it.
  'ghe-announce': (args) => {
    if (args.length === 1 && args[0] === '-u') return undefined;
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    if (args.length === 2 && args[0] === '-s' && /^[^\0-\x1f\x7f]{1,200}$/.test(args[1] ?? ''))
      return undefined;
    return 'ghe-announce takes -u, or -s and one line of at most 200 characters';
  },
  'ghe-repl-status': (args) =>
    args.length === 0 || (args.length === 1 && ['-v', '-vv'].includes(args[0]!))
      ? undefined
      : 'ghe-repl-status takes nothing, -v or -vv',
  'ghe-maintenance': (args) =>
    args.length === 1 && args[0] === '-q' ? undefined : 'only ghe-maintenance -q (query) may be a hook',
};

const HOOK_PROGRAMS = Object.keys(HOOK_RULES);
const MAX_HOOKS = 5;

export function parseHooks(f: Fields): { pre: Hook[]; post: Hook[] } {
  const raw = f.raw('hooks');
  const out = { pre: [] as Hook[], post: [] as Hook[] };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    f.fail('hooks', 'must be an object {"pre": [...], "post": [...]}');
    return out;
  }
  for (const key of Object.keys(raw))
    if (key !== 'pre' && key !== 'post') f.fail(`hooks.${key}`, 'unknown field; expected pre or post');
  for (const phase of ['pre', 'post'] as const) {
    const list = (raw as Record<string, unknown>)[phase];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) || list.length > MAX_HOOKS) {
      f.fail(`hooks.${phase}`, `must be a list of at most ${MAX_HOOKS} hooks`);
      continue;
    }
    list.forEach((h: unknown, i) => {
      const field = `hooks.${phase}[${i}]`;
      const hook = h as Partial<Hook> | null;
      if (!hook || typeof hook !== 'object' || Array.isArray(hook))
        return f.fail(field, 'must be {"on": "old-primary"|"new-primary", "argv": [...]}');
      const extra = Object.keys(hook).filter((k) => k !== 'on' && k !== 'argv');
      if (extra.length) return f.fail(field, `unknown field ${extra.join(', ')}; expected on and argv`);
      if (hook.on !== 'old-primary' && hook.on !== 'new-primary')
        return f.fail(`${field}.on`, 'must be "old-primary" or "new-primary"');
      if (
        !Array.isArray(hook.argv) ||
        hook.argv.length === 0 ||
        hook.argv.some((a) => typeof a !== 'string')
      ) {
        return f.fail(`${field}.argv`, 'must be a list of strings: the program, then its arguments');
      }
      const [program, ...args] = hook.argv;
      const rule = HOOK_RULES[program ?? ''];
      if (!rule)
        return f.fail(
          `${field}.argv`,
          `${JSON.stringify(program).slice(0, 60)} is not an allowed hook program (${HOOK_PROGRAMS.join(', ')})`,
        );
      const problem = rule(args);
      if (problem) return f.fail(`${field}.argv`, problem);
      if (phase === 'pre' && hook.on === 'new-primary')
        return f.fail(
          `${field}.on`,
          'a pre-failover hook runs before there is a new primary: use old-primary',
        );
      out[phase].push({ on: hook.on, argv: [program!, ...args] });
    });
  }
  return out;
}

/** Runs the hooks of a phase in order. Pre: the first failure throws `HookFailed`. Post: all run, failures are reported. */
export async function runHooks(
  request: FailoverRequest,
  phase: 'pre' | 'post',
  deps: Pick<Deps, 'clock' | 'log' | 'runner'>,
): Promise<HookRun[]> {
  const runs: HookRun[] = [];
  for (const hook of request.hooks[phase]) {
    const target = hook.on === 'old-primary' ? request.primary.target : request.replica.target;
    const [program, ...args] = hook.argv;
    const cmd = command(program!, ...args);
    let run: HookRun;
    try {
      const r = await deps.runner.run(target, cmd, { timeoutSeconds: 60 });
      const output = outputTail([r.stdout, r.stderr].filter(Boolean).join('\n'), 20, 2000);
      run = {
        phase,
        on: hook.on,
        target,
        command: renderShell(cmd),
        exitCode: r.exitCode,
        ok: r.exitCode === 0,
        output,
        at: new Date(deps.clock.now()).toISOString(),
      };
    } catch (error) {
      const e = error as Error;
      run = {
        phase,
        on: hook.on,
        target,
        command: renderShell(cmd),
        exitCode: null,
        ok: false,
        output: `${e.name}: ${e.message}`,
        at: new Date(deps.clock.now()).toISOString(),
      };
    }
    runs.push(run);
    if (!run.ok && phase === 'pre') {
      throw new HookFailed(
        `Pre-failover hook \`${run.command}\` on ${target} failed (${run.exitCode === null ? 'not run' : `exit code ${run.exitCode}`}). ` +
          `The failover was aborted before anything was changed. Output:\n${run.output}`,
        { hook: run },
      );
    }
    if (!run.ok)
      deps.log.warn('post-failover hook failed', { command: run.command, target, exitCode: run.exitCode });
  }
  return runs;
}
