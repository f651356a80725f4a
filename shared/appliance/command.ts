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
}

export function command(program: string, ...args: string[]): ApplianceCommand {
  return pipe([program, ...args]);
}

export function pipe(...stages: string[][]): ApplianceCommand {
  if (stages.length === 0) throw new TypeError('a command needs at least one stage');
  for (const argv of stages) {
    const [program] = argv;
    if (!program || !ALLOWED_PROGRAMS.has(program)) {
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

/** The shell line for a command: each argument quoted, stages joined by `|`. */
export function renderShell(cmd: ApplianceCommand): string {
  return cmd.pipeline.map((argv) => argv.map(shellQuote).join(' ')).join(' | ');
}
