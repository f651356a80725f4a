import { parseArgs } from 'node:util';
import { requireDeskProject } from '../../shared/service-desk/custom-email/settings.js';
import { PATTERNS } from '../../shared/validate.js';
import { STATE_MACHINE, parseVerificationRequest } from '../../shared/service-desk/custom-email/workflow.js';
import type { LocalConfig } from '../config.js';
import { runningStack, runOnStack } from './stack-client.js';

/**
 * `ghes-ops desk verify <project> [--by <email>] [--strict]`: runs the custom-email-verification
 * workflow in this process, exactly like `ghes-ops run custom-email-verification --input ...`
 * (the local service desk and, on the sandbox, the simulated mail provider of the `mail-*`
 * scenario start for it). `--by` defaults to the first configured notify address, or else the
 * project's first owner, that is a plain address (`ops@localhost` is not: no dot in the domain).
 * With a stack running (`ghes-ops start`), the verification runs there, with that stack's desk,
 * mail provider and settings, which this command never rewrites.
 */
export const DESK_VERIFY_USAGE = `  ghes-ops desk verify <project> [--by <email>] [--strict] [--scenario <mail-...>] [--time-scale <n>]
                                     verify the project's custom email address (runs the workflow here)`;

export interface VerifyCliDeps {
  loadConfig: (file?: string) => Promise<LocalConfig>;
  /** `ghes-ops run <args>` (main.ts): runs a workflow in-process, prints it, returns the exit code. */
  run?: (args: string[]) => Promise<number>;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

class VerifyUsageError extends Error {
  override readonly name = 'UsageError';
}

export async function verifyCommand(args: string[], deps: VerifyCliDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      by: { type: 'string' },
      strict: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      scenario: { type: 'string', short: 's' },
      'time-scale': { type: 'string' },
      name: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  const [project, ...extra] = positionals;
  if (!project || extra.length)
    throw new VerifyUsageError(`desk verify: which project? One project slug.\n\n${DESK_VERIFY_USAGE}`);
  if (!deps.run) throw new VerifyUsageError('desk verify: no workflow runner in this context.');
  const config = await deps.loadConfig(values.config);
  const deskProject = requireDeskProject(config.local.serviceDesk.desk, project);
  const by =
    values.by ?? [...config.mail.notify, ...(deskProject.owners ?? [])].find((a) => PATTERNS.email.test(a));
  if (!by)
    throw new VerifyUsageError(
      'desk verify: who verifies? Pass --by <email> (no configured notify address or project owner is a plain address).',
    );
  // Checked here for a quick answer; the workflow checks it again.
  const input = parseVerificationRequest({
    project,
    triggeredBy: by,
    ...(values.strict ? { strict: true } : {}),
  });
  const stack = await runningStack(config);
  if (stack) {
    const out = deps.out ?? ((l: string) => console.log(l));
    const err = deps.err ?? ((l: string) => console.error(l));
    if (values.scenario !== undefined || values['time-scale'] !== undefined)
      throw new VerifyUsageError(
        `desk verify: a stack is running at ${stack}; it verifies with its own scenario and time scale. Stop it to pass --scenario or --time-scale.`,
      );
    const done = await runOnStack(stack, STATE_MACHINE, input, err);
    if (done.status === 'SUCCEEDED') {
      out(JSON.stringify(done.output, null, 2));
      return 0;
    }
    err(
      `${done.name} ${done.status}${done.error ? `: ${done.error}` : ''}${done.cause ? `: ${done.cause}` : ''}`,
    );
    return 1;
  }
  const passed: string[] = [];
  for (const key of ['config', 'scenario', 'time-scale', 'name'] as const) {
    const v = values[key];
    if (v !== undefined) passed.push(`--${key}`, v);
  }
  if (values.quiet) passed.push('--quiet');
  return deps.run([STATE_MACHINE, '--input', JSON.stringify(input), ...passed]);
}
