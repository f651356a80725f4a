import { PATTERNS } from '../validate.js';
import type { DeskConfig } from './config.js';

/**
 * Quick actions in team comments (GitLab's, for GitHub issues): the LEADING lines of a new comment
 * that start with a known command. The block ends at the first other line; `/reply` takes the rest
 * of its line and every following line as the note mailed to the customer, so it comes last.
 *
 *   /add_email a@example.com, b@example.com    up to 6 per command, 10 external participants per ticket
 *   /remove_email a@example.com                up to 6 per command
 *   /convert_to_ticket c@example.com           a regular issue becomes a ticket with that requester
 *   /close                                     closes the ticket (mails `closed` when the project opted in)
 *   /reply text...                             mails the text to the subscribed participants
 *
 * Only leading lines count: the desk's own comments (customer mail) never start with `/`, so
 * customer text can never run a command, and a comment that merely mentions `/close` later on
 * is just a comment. An unknown `/word` at the top (e.g. a path `/etc/hosts`) ends the block.
 * Parsing is a line split and prefix checks: linear in the comment's length.
 */
export const QUICK_ACTIONS = ['reply', 'add_email', 'remove_email', 'convert_to_ticket', 'close'] as const;
export type QuickActionName = (typeof QUICK_ACTIONS)[number];

export interface QuickAction {
  name: Exclude<QuickActionName, 'reply'>;
  /** The rest of the command's line. */
  args: string;
}

export interface ParsedComment {
  actions: QuickAction[];
  /** The `/reply` note (marker removed, trimmed); undefined without `/reply`. */
  note?: string;
}

/** GitLab's limits on external participants. */
export const MAX_EMAILS_PER_COMMAND = 6;
export const MAX_PARTICIPANTS = 10;
/** Commands read from one comment at most (a wall of commands is not a quick action). */
const MAX_ACTIONS = 20;

export function parseQuickActions(body: string): ParsedComment {
  const lines = body.split('\n');
  const actions: QuickAction[] = [];
  for (let i = 0; i < lines.length && actions.length < MAX_ACTIONS; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (!line.startsWith('/')) break;
    const cut = firstBlank(line);
    const name = line.slice(1, cut < 0 ? undefined : cut);
    const args = cut < 0 ? '' : line.slice(cut + 1);
    if (!(QUICK_ACTIONS as readonly string[]).includes(name)) break;
    if (name === 'reply') {
      const note = [args, ...lines.slice(i + 1)].join('\n').trim();
      return { actions, note };
    }
    actions.push({ name: name as QuickAction['name'], args: args.trim() });
  }
  return { actions };
}

function firstBlank(s: string): number {
  const sp = s.indexOf(' ');
  const tab = s.indexOf('\t');
  return sp < 0 ? tab : tab < 0 ? sp : Math.min(sp, tab);
}

/** Addresses of a command's arguments: split on blanks and commas, `<...>` allowed, lower-cased. */
export function splitAddresses(args: string): string[] {
  return args
    .split(/[\s,;]+/)
    .map((a) => (a.startsWith('<') && a.endsWith('>') ? a.slice(1, -1) : a).toLowerCase())
    .filter(Boolean);
}

export type AddressCheck = { ok: true; addresses: string[] } | { ok: false; reason: string };

/**
 * Checked at the edge: plain ASCII mailboxes (no display names, no lookalike Unicode), at most
 * `max`, never one of the service desk's own addresses (mail to itself would loop).
 */
export function checkAddresses(args: string, c: DeskConfig, max: number): AddressCheck {
  const all = [...new Set(splitAddresses(args))];
  if (!all.length) return { ok: false, reason: 'name at least one email address' };
  if (all.length > max)
    return { ok: false, reason: `${all.length} addresses given; at most ${max} per command` };
  const bad = all.filter((a) => a.length > 254 || !PATTERNS.email.test(a));
  if (bad.length) return { ok: false, reason: `not a plain email address: ${bad.join(', ')}` };
  const own = all.filter((a) => a.endsWith(`@${c.domain}`));
  if (own.length)
    return {
      ok: false,
      reason: `${own.join(', ')} is on the service desk's own domain (${c.domain}): mail to it would loop`,
    };
  return { ok: true, addresses: all };
}
