import { command, pipe, type ApplianceCommand } from './command.js';

/**
 * Typed builders for the appliance commands ghes-ops runs (formats in
 * ../shared/reference/ghes-appliance.md). Arguments must already be validated; `command` and
 * `renderShell` quote them.
 */
export const SUPPORT_BUNDLE_STATUS_FILE = '/tmp/ghe-support-bundle-status';

export interface SupportBundleOptions {
  scope: 'primary' | 'cluster';
  ticket: string;
  /** e.g. `2days`; ignored when `extended`. */
  period?: string;
  extended: boolean;
}

export function supportBundle(opts: SupportBundleOptions): ApplianceCommand {
  const program = opts.scope === 'cluster' ? 'ghe-cluster-support-bundle' : 'ghe-support-bundle';
  const args = opts.extended ? ['-x'] : opts.period ? ['-p', opts.period] : [];
  return command(program, ...args, '-t', opts.ticket);
}

export function readFile(path: string): ApplianceCommand {
  return command('cat', path);
}

export function replStatus(verbosity: 0 | 1 | 2 = 2): ApplianceCommand {
  return verbosity === 0
    ? command('ghe-repl-status')
    : command('ghe-repl-status', verbosity === 1 ? '-v' : '-vv');
}

/** `ghe-repl-status -vv | ghe-support-upload -t TICKET -d DESCRIPTION` */
export function uploadReplStatus(ticket: string, description: string): ApplianceCommand {
  return pipe(['ghe-repl-status', '-vv'], ['ghe-support-upload', '-t', ticket, '-d', description]);
}
