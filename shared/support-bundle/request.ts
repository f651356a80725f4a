import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { Fields, PATTERNS } from '../validate.js';

/** A validated support-bundle request: what the user asked for plus where it runs. */
export interface SupportBundleRequest {
  ticket: string;
  scope: 'primary' | 'cluster';
  /** Period passed with `-p`, unless `extended`. */
  period?: string;
  extended: boolean;
  attachReplicationStatus: boolean;
  notify: string[];
  timeoutMinutes: number;
  /** Appliance the bundle is generated on (the configured primary). */
  target: string;
  /** Appliance `ghe-repl-status` runs on when attaching it (the configured replica). */
  replica?: string;
}

const SUPPORT_BUNDLE_FIELDS = [
  'ticket',
  'scope',
  'period',
  'extended',
  'attachReplicationStatus',
  'notify',
  'timeoutMinutes',
] as const;

const DEFAULT_TIMEOUT_MINUTES = 120;
const MAX_TIMEOUT_MINUTES = 720;

/** Validates the execution input. Every problem is reported at once; nothing runs on bad input. */
export function parseSupportBundleRequest(input: unknown, config: Config): SupportBundleRequest {
  const f = new Fields(input, 'support-bundle input');
  f.only([...SUPPORT_BUNDLE_FIELDS]);
  const ticket = f.requiredString('ticket', {
    pattern: PATTERNS.ticket,
    hint: 'the 7-digit GitHub Support ticket number, e.g. "1234567"',
    maxLength: 7,
  });
  const scope = f.oneOf('scope', ['primary', 'cluster'] as const, 'primary') ?? 'primary';
  const extended = f.boolean('extended', false);
  const period = f.string('period', {
    pattern: PATTERNS.period,
    hint: 'a number and a unit such as "2days", "12hours" or "90minutes"',
    maxLength: 16,
  });
  if (extended && period)
    f.fail('period', 'cannot be combined with extended (extended always covers 8 days)');
  const attachReplicationStatus = f.boolean('attachReplicationStatus', false);
  const notify = f.emails('notify') ?? config.mail.notify;
  const timeoutMinutes = f.integer('timeoutMinutes', {
    min: 1,
    max: MAX_TIMEOUT_MINUTES,
    default: DEFAULT_TIMEOUT_MINUTES,
  });
  f.done();
  if (attachReplicationStatus && !config.appliance.replica) {
    throw new ConfigError(
      'attachReplicationStatus needs a replica appliance, and none is configured. Set the replica (GHES_OPS_REPLICA in AWS, appliance.replica locally) or run without attachReplicationStatus.',
    );
  }
  return {
    ticket,
    scope,
    ...(period && !extended ? { period } : {}),
    extended,
    attachReplicationStatus,
    notify,
    timeoutMinutes,
    target: config.appliance.primary,
    ...(config.appliance.replica ? { replica: config.appliance.replica } : {}),
  };
}
