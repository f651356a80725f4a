import { InputValidationError } from '../errors.js';
import {
  command,
  DETACHED_EXIT_MARKER,
  detached,
  isDetachedOutputFile,
  type ApplianceCommand,
} from './command.js';
import type { CommandRunner, Target } from './runner.js';

/**
 * Long appliance commands (a support bundle: hours; `ghe-repl-promote`: 20-30 minutes) run
 * DETACHED (`detached()` in command.ts): started in their own session with their output in a
 * file, so a dropped SSH session or an ended SSM invocation does not end them. The state machine
 * then polls the output file's tail with Wait states; its last line is
 * `[ghes-ops] exit status N` once the command has ended.
 */

/** How a detached start went: the process id it printed, or why it did not start. */
export type DetachedStart =
  { started: true; pid: number } | { started: false; exitCode: number; stdout: string; stderr: string };

/** Starts `cmd` detached with its output in `outputFile` (validated by `detached`); returns at once. */
export async function startDetached(
  runner: Pick<CommandRunner, 'run'>,
  target: Target,
  cmd: ApplianceCommand,
  outputFile: string,
): Promise<DetachedStart> {
  const r = await runner.run(target, detached(cmd, outputFile), { timeoutSeconds: 60 });
  const pid = r.stdout.trim();
  if (r.exitCode === 0 && /^\d{1,10}$/.test(pid)) return { started: true, pid: Number(pid) };
  return { started: false, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/** What one read of a detached command's output file shows. */
export type DetachedOutput =
  /** The file's last lines (without the exit line), and the exit status once the command has ended. */
  | { file: 'read'; output: string; exitStatus?: number }
  /** The file does not exist (never started, or removed: the appliance restarted and /tmp was cleared). */
  | { file: 'missing'; stderr: string }
  /** It could not be read this time, for another reason: look again at the next poll. */
  | { file: 'unreadable'; exitCode: number; stderr: string };

const EXIT_LINE = new RegExp(`^${DETACHED_EXIT_MARKER.replace(/[[\]]/g, '\\$&')}(\\d{1,3})$`);

/** Splits an output file's tail into the command's output and its exit status (when it has ended). */
export function readOutputTail(text: string): { output: string; exitStatus?: number } {
  const lines = text.replace(/\s+$/, '').split('\n');
  const last = lines.at(-1)?.trim() ?? '';
  const m = EXIT_LINE.exec(last);
  if (!m) return { output: text.trimEnd() };
  lines.pop();
  return { output: lines.join('\n').trimEnd(), exitStatus: Number(m[1]) };
}

/**
 * Reads the last `lines` lines of a detached command's output file (`tail -n`). The file name
 * travels through the state machine, so it is checked again here: only /tmp/ghes-ops-NAME.log.
 */
export async function readDetachedOutput(
  runner: Pick<CommandRunner, 'run'>,
  target: Target,
  outputFile: string,
  lines: number,
): Promise<DetachedOutput> {
  if (!isDetachedOutputFile(outputFile)) {
    throw new InputValidationError(
      [
        {
          field: 'outputFile',
          problem: `must be a detached command's output file /tmp/ghes-ops-NAME.log, got ${JSON.stringify(String(outputFile)).slice(0, 80)}`,
        },
      ],
      'state',
    );
  }
  const r = await runner.run(target, command('tail', '-n', String(lines), outputFile), {
    timeoutSeconds: 30,
  });
  if (r.exitCode === 0) return { file: 'read', ...readOutputTail(r.stdout) };
  if (/No such file or directory/i.test(r.stderr)) return { file: 'missing', stderr: r.stderr };
  return { file: 'unreadable', exitCode: r.exitCode, stderr: r.stderr };
}
