import type { Config } from '../config.js';
import { Fields } from '../validate.js';
import { runbookSection } from '../runbook/settings.js';

/** A validated jira-prefix-list request: what the execution asked for plus the configured lists. */
export interface JiraPrefixListRequest {
  products: string[];
  directions: ('ingress' | 'egress')[];
  /** Plan and mail only; change nothing. */
  dryRun: boolean;
  /** Diff even when the lists were last synced to the document's syncToken. */
  force: boolean;
  /** A change removing more than this share (percent) of a list's entries waits for approval. */
  maxRemovalPercent: number;
  /** The changeId of a plan that an operator approved (from the approval mail). */
  approve?: string;
  notify: string[];
  reason?: string;
  /** From the deployment settings, never from the input. */
  rangesUrl: string;
  lists: { family: 'IPv4' | 'IPv6'; id: string }[];
}

export const JIRA_PREFIX_LIST_FIELDS = [
  'products',
  'directions',
  'dryRun',
  'force',
  'maxRemovalPercent',
  'approve',
  'notify',
  'reason',
] as const;

export const DEFAULT_PRODUCTS = ['jira'];
/** Atlassian's egress ranges: the addresses Jira Cloud connects FROM (into GHES). */
export const DEFAULT_DIRECTIONS: ('ingress' | 'egress')[] = ['egress'];
export const DEFAULT_MAX_REMOVAL_PERCENT = 25;
export const SETTINGS_HINT =
  'set the jiraPrefixListId param (and jiraPrefixListIdIpv6 for IPv6) in serverless.yml, or runbook.jira in the local configuration.';

const PRODUCT = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function parseJiraPrefixListRequest(input: unknown, config: Config): JiraPrefixListRequest {
  const f = new Fields(input, 'jira-prefix-list input');
  f.only([...JIRA_PREFIX_LIST_FIELDS]);
  let products = DEFAULT_PRODUCTS;
  if (f.has('products')) {
    const v = f.raw('products');
    if (
      !Array.isArray(v) ||
      v.length === 0 ||
      v.length > 10 ||
      v.some((p) => typeof p !== 'string' || !PRODUCT.test(p))
    )
      f.fail('products', 'must be a list of 1 to 10 Atlassian product names such as ["jira"]');
    else products = [...new Set(v as string[])];
  }
  let directions = DEFAULT_DIRECTIONS;
  if (f.has('directions')) {
    const v = f.raw('directions');
    if (!Array.isArray(v) || v.length === 0 || v.some((d) => d !== 'ingress' && d !== 'egress'))
      f.fail(
        'directions',
        'must be a list of "egress" (Atlassian connecting to you: the Jira integration) and/or "ingress"',
      );
    else directions = [...new Set(v as ('ingress' | 'egress')[])];
  }
  const dryRun = f.boolean('dryRun', false);
  const force = f.boolean('force', false);
  const maxRemovalPercent = f.integer('maxRemovalPercent', {
    min: 0,
    max: 100,
    default: DEFAULT_MAX_REMOVAL_PERCENT,
  });
  const approve = f.string('approve', {
    pattern: /^[0-9a-f]{16}$/,
    hint: 'the 16-character change id from the approval mail',
    maxLength: 16,
  });
  const notify = f.emails('notify') ?? config.mail.notify;
  const reason = f.string('reason', {
    pattern: /^\P{Cc}{1,200}$/u,
    hint: 'one line',
    maxLength: 200,
  });
  f.done();
  const jira = runbookSection(config.runbook, 'jira', SETTINGS_HINT);
  return {
    products,
    directions,
    dryRun,
    force,
    maxRemovalPercent,
    ...(approve ? { approve } : {}),
    notify,
    ...(reason ? { reason } : {}),
    rangesUrl: jira.rangesUrl,
    lists: [
      { family: 'IPv4', id: jira.prefixListId },
      ...(jira.prefixListIdIpv6 ? [{ family: 'IPv6' as const, id: jira.prefixListIdIpv6 }] : []),
    ],
  };
}
