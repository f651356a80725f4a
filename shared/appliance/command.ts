/**
 * Appliance commands are never strings built from input: they are argv arrays of allow-listed
 * programs, rendered to a shell line by `renderShell` with every argument quoted. Values that come
 * from users are validated by `shared/validate.ts` before they reach a builder.
 */

/** Programs ghes-ops may run on an appliance. */
const ALLOWED_PROGRAMS = new Set([
  'ghe-repl-status',
  'ghe-maintenance',
  'ghe-repl-promote',
  'ghe-repl-teardown',
  'ghe-repl-decommission',
  // Read only: the installed release (preflight).
  'ghe-version',
  'ghe-support-bundle',
  'ghe-cluster-support-bundle',
  'ghe-support-upload',
  'ghe-org-admin-promote',
  'ghe-announce',
  'actions-sync',
  // Wrapper installed next to actions-sync: reads the token from SSM with the instance profile.
  'ghes-ops-actions-sync',
  'file',
  'uname',
  'cat',
  // Runbook workflows (issue 17): TLS via ACME, backup health (read-only checks).
  'ghe-ssl-acme',
  'ghe-backup-healthcheck',
  'ghe-host-check',
  'ls',
  'readlink',
  'find',
  'stat',
  'df',
  'tail',
]);

export interface ApplianceCommand {
  /** One argv per pipeline stage; a plain command has one stage. */
  readonly pipeline: readonly (readonly string[])[];
  /**
   * Run detached (see `detached`): in its own session, immune to hangups, its output and exit
   * status in this file on the appliance. The line itself prints the process id and returns.
   */
  readonly detachedOutput?: string;
}

export function command(program: string, ...args: string[]): ApplianceCommand {
  return pipe([program, ...args]);
}

/**
 * Programs that may also be named by an absolute path (the binary a check looked at is the one
 * that runs): path segments of safe characters, none starting with a dot (no `..`).
 */
const ALLOWED_BY_PATH = /^\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]{0,100}\/){0,10}(actions-sync)$/;

function allowedProgram(program: string | undefined): boolean {
  return !!program && (ALLOWED_PROGRAMS.has(program) || ALLOWED_BY_PATH.test(program));
}

export function pipe(...stages: string[][]): ApplianceCommand {
  if (stages.length === 0) throw new TypeError('a command needs at least one stage');
  for (const argv of stages) {
    const [program] = argv;
    if (!allowedProgram(program)) {
      throw new TypeError(`program not allowed on the appliance: ${JSON.stringify(program)}`);
    }
    for (const arg of argv) {
      if (arg.includes('\0')) throw new TypeError('command arguments cannot contain NUL bytes');
    }
  }
  return { pipeline: stages.map((s) => [...s]) };
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX single-quoting: safe for any byte sequence without NUL. */
export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE_WORD.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Output files of detached commands: a fixed directory and prefix, a name of safe characters. */
const DETACHED_OUTPUT = /^\/tmp\/ghes-ops-[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.log$/;

/** The last line a detached command's output file gets when the command ends: this prefix, then the exit status. */
export const DETACHED_EXIT_MARKER = '[ghes-ops] exit status ';

/** What the detached shell runs after the command: the exit status on a line of its own. */
export const DETACHED_SCRIPT_SUFFIX = `; printf '\\n${DETACHED_EXIT_MARKER}%s\\n' "$?"`;

/**
 * The command to run detached on the appliance, so that it outlives the SSH session or SSM
 * invocation that starts it (a support bundle takes hours; a dropped connection must not kill it):
 *
 *     nohup setsid sh -c 'CMD; printf ...exit status...' > FILE 2>&1 < /dev/null & echo $!
 *
 * `setsid` gives it its own session (no SIGHUP when the session ends, out of the SSM agent's
 * process group), `nohup` ignores hangups, every stream is redirected so ssh returns at once. The
 * line prints the process id; the state machine then polls FILE (output, and last the exit status
 * as `[ghes-ops] exit status N`). The template is fixed; CMD is `renderShell` of the validated
 * argv and FILE must match /tmp/ghes-ops-NAME.log.
 */
export function detached(cmd: ApplianceCommand, outputFile: string): ApplianceCommand {
  if (cmd.detachedOutput !== undefined) throw new TypeError('the command is already detached');
  if (!DETACHED_OUTPUT.test(outputFile)) {
    throw new TypeError(
      `detached output file must look like /tmp/ghes-ops-NAME.log, got ${JSON.stringify(outputFile).slice(0, 80)}`,
    );
  }
  return { pipeline: cmd.pipeline.map((s) => [...s]), detachedOutput: outputFile };
}

/** True when `path` is a valid output file for `detached`. */
export function isDetachedOutputFile(path: string): boolean {
  return DETACHED_OUTPUT.test(path);
}

/** The shell line of the command itself, without the detaching wrapper. */
function renderPipeline(cmd: ApplianceCommand): string {
  return cmd.pipeline.map((argv) => argv.map(shellQuote).join(' ')).join(' | ');
}

/** The shell line for a command: each argument quoted, stages joined by `|`; detached ones wrapped. */
export function renderShell(cmd: ApplianceCommand): string {
  const line = renderPipeline(cmd);
  if (cmd.detachedOutput === undefined) return line;
  const script = `${line}${DETACHED_SCRIPT_SUFFIX}`;
  return `nohup setsid sh -c ${shellQuote(script)} > ${shellQuote(cmd.detachedOutput)} 2>&1 < /dev/null & echo $!`;
}

/** The command's own line (for notifications): a detached command without its wrapper. */
export function describeCommand(cmd: ApplianceCommand): string {
  return renderPipeline(cmd);
}
