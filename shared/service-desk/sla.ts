import { GhesOpsError, InputValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RecordStore } from '../records/record-store.js';
import type { Deps } from '../runtime/deps.js';
import type { DeskConfig, SlaConfig, SlaRule } from './config.js';
import { deskConfigFor } from './custom-email/project.js';
import { SERVICE_DESK_LABEL } from './labels.js';
import { hash } from './store.js';
import type { Ticket, TicketComment, TicketRepository } from './tickets.js';
import { parseQuickActions } from './quick-actions.js';

/**
 * Service desk SLA (issue 19 item 4; gitlab#2031): per label, a first-response and a
 * next-response time. The clock is read from the ticket itself on GHES, so it needs no bookkeeping
 * on the mail path and holds for tickets made before the SLA was configured:
 * - the customer's messages: the creation, and each comment the desk wrote for a mail
 *   (`**<who>** replied by email:`);
 * - the team's responses: each comment by a person (not a bot) that starts with `/reply`, the only
 *   comments that reach the customer. Internal comments do not stop the clock.
 * A ticket waits for a response from the first customer message after the team's last response
 * (or from its creation): `first` until the team answered once, `next` after. The due time is the
 * strictest matching rule's minutes after that. Closed tickets have no clock.
 *
 * A scheduled check (`serviceDeskSla`) labels each breaching ticket and mentions its assignees
 * (else `sla.team`) ONCE per breach: the breach (ticket, kind, start of the wait) is claimed by a
 * conditional create in the record store before GHES is touched, so runs that overlap or repeat
 * never label or mention twice; a failed GHES call gives the claim back for the next run.
 */

/** A comment the desk wrote for a customer's mail (shared/service-desk/desk.ts `addReply`). */
export const CUSTOMER_COMMENT = /^\*\*[^\n]{1,800}\*\* replied by email:/;

export type SlaKind = 'first' | 'next';

export interface SlaClock {
  kind: SlaKind;
  /** When the wait started (ISO 8601): the ticket's creation or the customer's mail. */
  since: string;
  /** When the response is due (ISO 8601). */
  dueAt: string;
  /** The rule that set the due time (the strictest of the ticket's labels). */
  rule: string;
  minutes: number;
}

/** A ticket's SLA as a console or `ghes-ops desk tickets` shows it. */
export interface TicketSla {
  repo: string;
  number: number;
  title: string;
  url: string;
  assignees: string[];
  labels: string[];
  /** Absent: no response owed (the team answered last) or no rule matches the labels. */
  clock?: SlaClock & {
    /** Milliseconds until the breach; negative once breached. */
    msToBreach: number;
    breached: boolean;
  };
}

const lower = (s: string): string => s.toLowerCase();

/** The strictest rule among the ticket's labels for `kind` (GitHub compares labels case-insensitively). */
function ruleFor(
  labels: string[],
  sla: SlaConfig,
  kind: SlaKind,
): { rule: SlaRule; minutes: number } | undefined {
  const have = new Set(labels.map(lower));
  let best: { rule: SlaRule; minutes: number } | undefined;
  for (const rule of sla.rules) {
    if (!have.has(lower(rule.label))) continue;
    const minutes = kind === 'first' ? rule.firstResponseMinutes : rule.nextResponseMinutes;
    if (!best || minutes < best.minutes) best = { rule, minutes };
  }
  return best;
}

/** The response the ticket waits for, if any (pure: the ticket and its comments as GHES lists them). */
export function slaClock(ticket: Ticket, comments: TicketComment[], sla: SlaConfig): SlaClock | undefined {
  if (ticket.state !== 'open' || !ticket.createdAt) return undefined;
  let waitingSince: number | undefined = Date.parse(ticket.createdAt);
  let answered = false;
  let kind: SlaKind = 'first';
  const sorted = [...comments].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  for (const c of sorted) {
    const at = Date.parse(c.createdAt);
    if (!Number.isFinite(at)) continue;
    if (!c.bot && parseQuickActions(c.body).note !== undefined) {
      waitingSince = undefined;
      answered = true;
    } else if (CUSTOMER_COMMENT.test(c.body) && waitingSince === undefined) {
      waitingSince = at;
      kind = answered ? 'next' : 'first';
    }
  }
  if (waitingSince === undefined || !Number.isFinite(waitingSince)) return undefined;
  const r = ruleFor(ticket.labels, sla, kind);
  if (!r) return undefined;
  return {
    kind,
    since: new Date(waitingSince).toISOString(),
    dueAt: new Date(waitingSince + r.minutes * 60_000).toISOString(),
    rule: r.rule.label,
    minutes: r.minutes,
  };
}

/** Milliseconds until `clock` breaches at `now` (negative once breached). */
export function timeToBreach(clock: Pick<SlaClock, 'dueAt'>, now: number): number {
  return Date.parse(clock.dueAt) - now;
}

export interface SlaDeps {
  config: DeskConfig;
  tickets: Pick<TicketRepository, 'listOpen' | 'listComments' | 'addLabels' | 'addComment'>;
  records: RecordStore;
  log: Logger;
  /** Epoch ms on the clock GHES stamps issues with (real time in AWS; the workflow clock locally). */
  now: () => number;
}

/** Every open ticket's SLA, repository by repository; what a console or `ghes-ops desk tickets` shows. */
export async function slaStatuses(
  d: Pick<SlaDeps, 'config' | 'now'> & { tickets: Pick<TicketRepository, 'listOpen' | 'listComments'> },
  only?: { repo?: string },
): Promise<TicketSla[]> {
  const repos = [...new Set(d.config.projects.map((p) => p.repo))].filter(
    (r) => !only?.repo || r === only.repo,
  );
  const out: TicketSla[] = [];
  for (const repo of repos) {
    for (const t of await d.tickets.listOpen(repo, SERVICE_DESK_LABEL)) {
      const row: TicketSla = {
        repo,
        number: t.number,
        title: t.title,
        url: t.url,
        assignees: t.assignees,
        labels: t.labels,
      };
      const clock = d.config.sla
        ? slaClock(t, await d.tickets.listComments(repo, t.number), d.config.sla)
        : undefined;
      if (clock) {
        const ms = timeToBreach(clock, d.now());
        row.clock = { ...clock, msToBreach: ms, breached: ms <= 0 };
      }
      out.push(row);
    }
  }
  return out;
}

/**
 * `slaStatuses` with a function's (or the local stack's) dependencies: what `ghes-ops desk tickets`
 * and the console call. Times are on the clock GHES stamps issues with (see `runSlaCheck`).
 */
export function slaStatusesFromDeps(
  deps: Pick<Deps, 'config' | 'tickets' | 'clock'>,
  only?: { repo?: string },
): Promise<TicketSla[]> {
  return slaStatuses(
    { config: deskConfigFor(deps.config), tickets: deps.tickets, now: () => deps.clock.now() },
    only,
  );
}

/** Some breaching tickets could not be labelled or mentioned; the next run tries them again. */
export class SlaCheckIncomplete extends GhesOpsError {
  readonly name = 'SlaCheckIncomplete';
}

export interface SlaCheckResult {
  checked: number;
  /** Breaches labelled and mentioned in this run. */
  breached: { repo: string; number: number; kind: SlaKind; dueAt: string }[];
  /** Breaches already handled by an earlier run (never labelled or mentioned twice). */
  alreadyHandled: number;
}

/** A claimed breach lives as long as a ticket may stay open unanswered (then the claim expires). */
const BREACH_TTL_SECONDS = 400 * 24 * 3600;

const human = (minutes: number): string =>
  minutes % 1440 === 0 ? `${minutes / 1440} d` : minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;

/** The comment of a breach; mentions the assignees, else the team (a mention notifies them). */
export function breachComment(t: Pick<Ticket, 'assignees'>, clock: SlaClock, sla: SlaConfig): string {
  const who = t.assignees.length ? t.assignees.map((a) => `@${a}`).join(' ') : (sla.team ?? '');
  const what = clock.kind === 'first' ? 'First response' : 'Next response';
  return [
    `**SLA breached**: ${what.toLowerCase()} was due ${clock.dueAt} (${what} within ${human(clock.minutes)}, rule \`${clock.rule}\`, waiting since ${clock.since}).`,
    who
      ? `${who}, please answer the customer (\`/reply\`).`
      : 'Nobody is assigned and no `sla.team` is configured.',
  ].join('\n\n');
}

/** The scheduled check: labels and mentions each breaching ticket once per breach. */
export async function checkSla(d: SlaDeps): Promise<SlaCheckResult> {
  const sla = d.config.sla;
  const result: SlaCheckResult = { checked: 0, breached: [], alreadyHandled: 0 };
  if (!sla) {
    d.log.info('service desk SLA: no sla rules configured, nothing to check');
    return result;
  }
  const failures: string[] = [];
  for (const row of await slaStatuses(d)) {
    result.checked += 1;
    const clock = row.clock;
    if (!clock?.breached) continue;
    const id = `${row.repo}#${row.number}/${clock.kind}/${clock.since}`;
    const key = `${d.config.recordPrefix}/sla-breach/${hash(id)}`;
    const claimed = await d.records.create(key, JSON.stringify({ id, at: d.now() }), {
      ttlSeconds: BREACH_TTL_SECONDS,
    });
    if (!claimed) {
      result.alreadyHandled += 1;
      continue;
    }
    try {
      await d.tickets.addLabels(row.repo, row.number, [sla.breachLabel]);
      await d.tickets.addComment(row.repo, row.number, breachComment(row, clock, sla));
      result.breached.push({ repo: row.repo, number: row.number, kind: clock.kind, dueAt: clock.dueAt });
      d.log.warn('service desk SLA: breach labelled', {
        repo: row.repo,
        number: row.number,
        kind: clock.kind,
        dueAt: clock.dueAt,
        rule: clock.rule,
      });
    } catch (e) {
      await d.records.delete(key).catch(() => undefined);
      failures.push(`${row.repo}#${row.number}: ${(e as Error).message}`);
      d.log.error('service desk SLA: breach not labelled (tried again next run)', {
        repo: row.repo,
        number: row.number,
        detail: (e as Error).message,
      });
    }
  }
  if (failures.length)
    throw new SlaCheckIncomplete(
      `${failures.length} SLA breach(es) could not be labelled; the next run tries again: ${failures.join('; ').slice(0, 1000)}`,
      { labelled: result.breached.length },
    );
  return result;
}

/**
 * The Lambda's input: the schedule's (EventBridge Scheduler passes `{}` or a scheduled event; both
 * are ignored). Not an object (an array, a string) is refused.
 */
export function parseSlaCheckInput(event: unknown): Record<string, never> {
  if (event === undefined || event === null) return {};
  if (typeof event !== 'object' || Array.isArray(event))
    throw new InputValidationError(
      [{ field: '(root)', problem: 'must be an object (the schedule passes {})' }],
      'SLA check input',
    );
  return {};
}

/** serviceDeskSla: the scheduled check with the function's dependencies. */
export function runSlaCheck(
  _input: Record<string, never>,
  deps: Pick<Deps, 'config' | 'tickets' | 'records' | 'log' | 'clock'>,
): Promise<SlaCheckResult> {
  return checkSla({
    config: deskConfigFor(deps.config),
    tickets: deps.tickets,
    records: deps.records,
    log: deps.log,
    // GHES stamps issues in real time in AWS; locally the sandbox GHES runs on the workflow clock.
    now: () => deps.clock.now(),
  });
}
