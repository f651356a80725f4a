import { ConfigError } from '../errors.js';
import { PATTERNS } from '../validate.js';

/**
 * Service desk settings. In AWS they come from the JSON in GHES_OPS_SERVICE_DESK (set from
 * serverless.yml params); locally from the embedded default (`local/service-desk-local.ts`).
 */
export interface DeskProject {
  /** Project path slug, e.g. `acme-support`; the default key is `<slug>-<id>-issue-`. */
  slug: string;
  id: number;
  /** Optional alias suffix (`[a-z0-9_]`): key `<slug>-<suffix>`. */
  suffix?: string;
  /** `owner/name` of the PRIVATE tickets repository. */
  repo: string;
  /** Reopen a closed ticket when an external participant writes (with a note mentioning the assignees). */
  reopen: boolean;
  /** Tickets get this description template (a file under `.github/service_desk_templates/`, without `.md`). */
  descriptionTemplate?: string;
  /** Email addresses of the project's owners: they hear about custom email verifications (issue 5). */
  owners?: string[];
  /** Mail the participants (template `closed`) when a ticket is closed; opt-in, default off. */
  closedMail?: boolean;
  /** Per-project overrides of the desk's agent-side settings (issue 19, below). */
  mailText?: MailText;
  nonParticipantReply?: NonParticipantReply;
  // deskb (issue 19): several addresses and the satisfaction survey; see the block at the end.
  /** More addresses `<slug>-<suffix>`, each with labels and assignees given to its new tickets. */
  aliases?: DeskAlias[];
  /** Mail the requester a one-click satisfaction survey when a ticket is closed; opt-in, default off. */
  satisfaction?: boolean;
}

// ---- Agent side (issue 19: quick actions, template texts, attachments, non-participant replies) ----

/** `%{SYSTEM_HEADER}`, `%{SYSTEM_FOOTER}`, `%{ADDITIONAL_TEXT}` of outgoing mail (Markdown, raw HTML off). */
export interface MailText {
  systemHeader?: string;
  systemFooter?: string;
  additionalText?: string;
}

/**
 * A reply through a ticket's reply address from someone who is not one of its participants (the
 * reply address was forwarded): `comment` (default) adds it to the ticket marked as such and
 * mails them nothing; `comment-and-add` also makes them (and their Cc) participants;
 * `new-ticket` opens a new ticket for them instead.
 */
export type NonParticipantReply = 'comment' | 'comment-and-add' | 'new-ticket';
export const NON_PARTICIPANT_REPLIES: readonly NonParticipantReply[] = [
  'comment',
  'comment-and-add',
  'new-ticket',
];

/** Agent-side settings of the desk (defaults in `AGENT_DEFAULTS`). */
export interface DeskAgentSettings {
  mailText: MailText;
  nonParticipantReply: NonParticipantReply;
  /** Files attached to a `/reply` comment up to this size are mailed as attachments; larger ones as links. */
  maxReplyAttachmentBytes: number;
  /** All attachments of one reply mail together (SES accepts 40 MB per message, base64 adds a third). */
  maxReplyAttachmentsTotalBytes: number;
}

export const AGENT_DEFAULTS = {
  nonParticipantReply: 'comment',
  maxReplyAttachmentBytes: 10 * 1024 * 1024,
  maxReplyAttachmentsTotalBytes: 25 * 1024 * 1024,
} as const;

const MAIL_TEXT_MAX = 4000;

function parseMailText(value: unknown, field: string, bad: (f: string, p: string) => never): MailText {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return bad(field, 'must be an object { systemHeader?, systemFooter?, additionalText? }');
  const out: MailText = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k !== 'systemHeader' && k !== 'systemFooter' && k !== 'additionalText')
      bad(`${field}.${k}`, 'is not a setting (systemHeader, systemFooter, additionalText)');
    // eslint-disable-next-line no-control-regex -- control characters other than line breaks are refused
    if (typeof v !== 'string' || v.length > MAIL_TEXT_MAX || /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(v))
      bad(
        `${field}.${k}`,
        `must be Markdown text of at most ${MAIL_TEXT_MAX} characters without control characters`,
      );
    out[k] = v;
  }
  return out;
}

function parseNonParticipant(
  value: unknown,
  field: string,
  bad: (f: string, p: string) => never,
): NonParticipantReply | undefined {
  if (value === undefined) return undefined;
  if (!NON_PARTICIPANT_REPLIES.includes(value as NonParticipantReply))
    bad(field, `must be one of ${NON_PARTICIPANT_REPLIES.map((v) => `"${v}"`).join(', ')}`);
  return value as NonParticipantReply;
}

function parseAgentSettings(
  v: Record<string, unknown>,
  bad: (f: string, p: string) => never,
): DeskAgentSettings {
  const bytes = (k: 'maxReplyAttachmentBytes' | 'maxReplyAttachmentsTotalBytes'): number => {
    const n = v[k] ?? AGENT_DEFAULTS[k];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 40 * 1024 * 1024)
      bad(k, 'must be a whole number of bytes from 0 to 41943040 (SES: 40 MB per message)');
    return n;
  };
  return {
    mailText: parseMailText(v.mailText, 'mailText', bad),
    nonParticipantReply:
      parseNonParticipant(v.nonParticipantReply, 'nonParticipantReply', bad) ??
      AGENT_DEFAULTS.nonParticipantReply,
    maxReplyAttachmentBytes: bytes('maxReplyAttachmentBytes'),
    maxReplyAttachmentsTotalBytes: bytes('maxReplyAttachmentsTotalBytes'),
  };
}

function parseProjectAgentSettings(
  o: Record<string, unknown>,
  i: number,
  out: DeskProject,
  bad: (f: string, p: string) => never,
): void {
  if (o.mailText !== undefined) out.mailText = parseMailText(o.mailText, `projects[${i}].mailText`, bad);
  const np = parseNonParticipant(o.nonParticipantReply, `projects[${i}].nonParticipantReply`, bad);
  if (np) out.nonParticipantReply = np;
}

/** The mail texts of a project: its own over the desk's. */
export function mailTextOf(c: DeskConfig, p: DeskProject | undefined): MailText {
  return { ...c.mailText, ...(p?.mailText ?? {}) };
}

/** The non-participant reply policy of a project: its own, else the desk's. */
export function nonParticipantPolicy(c: DeskConfig, p: DeskProject | undefined): NonParticipantReply {
  return p?.nonParticipantReply ?? c.nonParticipantReply;
}

// ---- end of the agent-side block ----

/** Agent side (issue 19): template texts, non-participant replies, reply attachments, at the top level. */
export interface DeskConfig extends DeskAgentSettings {
  /** Incoming mail: `<local>+<key>@<domain>`. */
  local: string;
  domain: string;
  /** Display name of the bot on outgoing mail. */
  botName: string;
  projects: DeskProject[];
  /** DMARC FAIL: drop the mail or create the ticket with a `dmarc-fail` label. */
  dmarcFail: 'drop' | 'label';
  /** Per-sender burst limit: at most `max` mails in `windowSeconds`. */
  burst: { max: number; windowSeconds: number };
  /** Attachments above this size are listed but not kept. */
  maxAttachmentBytes: number;
  /** Messages above this size get a ticket with a note and no attachments. */
  maxMessageBytes: number;
  /** Base of unsubscribe links, e.g. `https://api.example.com/service-desk`. */
  publicUrl: string;
  /** Key prefix of the desk's records in the record store (several desks may share one table). */
  recordPrefix: string;
  // deskb (issue 19): SLA and satisfaction settings; see the block at the end.
  /** Response times per label, checked by the serviceDeskSla schedule. Absent: no SLA. */
  sla?: SlaConfig;
  /** How long a satisfaction survey link stays valid. */
  satisfaction: { expiryDays: number };
}

export const DESK_DEFAULTS = {
  botName: 'Support Bot',
  dmarcFail: 'label',
  burst: { max: 10, windowSeconds: 300 },
  maxAttachmentBytes: 10 * 1024 * 1024,
  maxMessageBytes: 30 * 1024 * 1024,
} as const;

/** A project path slug (`acme-support`): the key's first part and the custom email's project name. */
export const PROJECT_SLUG = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
const SUFFIX = /^[a-z0-9_]{1,50}$/;
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const LOCAL = /^[A-Za-z0-9._-]{1,40}$/;
const DOMAIN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The project key in its default form. */
export function defaultKey(p: DeskProject): string {
  return `${p.slug}-${p.id}-issue-`;
}

export function aliasKey(p: DeskProject): string | undefined {
  return p.suffix ? `${p.slug}-${p.suffix}` : undefined;
}

export function incomingAddress(c: DeskConfig, key: string): string {
  return `${c.local}+${key}@${c.domain}`;
}

/** Checks a desk configuration (from JSON); throws `ConfigError` naming the field. */
export function parseDeskConfig(value: unknown, source: string): DeskConfig {
  const bad = (field: string, problem: string): never => {
    throw new ConfigError(`${source}: serviceDesk.${field} ${problem}`);
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) return bad('(root)', 'must be an object');
  const v = value as Record<string, unknown>;
  if (typeof v.local !== 'string' || !LOCAL.test(v.local))
    bad('local', 'must be a local part such as "support" (no "+")');
  if (typeof v.domain !== 'string' || !DOMAIN.test(v.domain)) bad('domain', 'must be a domain name');
  if (typeof v.publicUrl !== 'string' || !/^https?:\/\/\S+$/.test(v.publicUrl))
    bad('publicUrl', 'must be an http(s) URL');
  if (!Array.isArray(v.projects) || v.projects.length === 0)
    bad('projects', 'must list at least one project');
  const projects = (v.projects as unknown[]).map((p, i): DeskProject => {
    const o = (p ?? {}) as Record<string, unknown>;
    if (typeof o.slug !== 'string' || !PROJECT_SLUG.test(o.slug))
      bad(`projects[${i}].slug`, 'must be a lowercase path slug');
    if (typeof o.id !== 'number' || !Number.isInteger(o.id) || o.id < 1)
      bad(`projects[${i}].id`, 'must be a positive whole number');
    if (o.suffix !== undefined && (typeof o.suffix !== 'string' || !SUFFIX.test(o.suffix)))
      bad(`projects[${i}].suffix`, 'may hold only a-z, 0-9 and _');
    if (typeof o.repo !== 'string' || !REPO.test(o.repo)) bad(`projects[${i}].repo`, 'must be "owner/name"');
    const out: DeskProject = {
      slug: o.slug as string,
      id: o.id as number,
      repo: o.repo as string,
      reopen: o.reopen === true,
    };
    if (o.suffix) out.suffix = o.suffix as string;
    if (o.closedMail !== undefined && typeof o.closedMail !== 'boolean')
      bad(`projects[${i}].closedMail`, 'must be true or false (mail participants when a ticket is closed)');
    if (o.closedMail === true) out.closedMail = true;
    parseProjectExtras(o, out, `projects[${i}]`, bad);
    if (typeof o.descriptionTemplate === 'string' && /^[a-z0-9_-]{1,60}$/.test(o.descriptionTemplate))
      out.descriptionTemplate = o.descriptionTemplate;
    if (o.owners !== undefined) {
      if (
        !Array.isArray(o.owners) ||
        o.owners.length > 50 ||
        o.owners.some((a) => typeof a !== 'string' || a.length > 254 || !PATTERNS.email.test(a))
      )
        bad(`projects[${i}].owners`, 'must be a list of at most 50 plain email addresses');
      out.owners = (o.owners as string[]).map((a) => a.toLowerCase());
    }
    parseProjectAgentSettings(o, i, out, bad);
    return out;
  });
  const suffixes = projects.map((p) => p.suffix).filter(Boolean);
  if (new Set(suffixes).size !== suffixes.length) bad('projects', 'alias suffixes must be unique');
  checkUniqueKeys(projects, bad);
  const botName = v.botName ?? DESK_DEFAULTS.botName;
  if (typeof botName !== 'string' || /[\r\n\0"<>]/.test(botName) || botName.length > 80)
    bad('botName', 'must be a plain display name');
  const dmarc = v.dmarcFail ?? DESK_DEFAULTS.dmarcFail;
  if (dmarc !== 'drop' && dmarc !== 'label') bad('dmarcFail', 'must be "drop" or "label"');
  const burst = (v.burst ?? DESK_DEFAULTS.burst) as { max?: unknown; windowSeconds?: unknown };
  if (
    typeof burst.max !== 'number' ||
    typeof burst.windowSeconds !== 'number' ||
    burst.max < 1 ||
    burst.windowSeconds < 1
  )
    bad('burst', 'must be { max, windowSeconds } with positive numbers');
  const num = (k: 'maxAttachmentBytes' | 'maxMessageBytes'): number => {
    const n = v[k] ?? DESK_DEFAULTS[k];
    if (typeof n !== 'number' || !(n > 0)) bad(k, 'must be a positive number of bytes');
    return n as number;
  };
  const prefix = v.recordPrefix ?? '/ghes-ops/service-desk';
  if (typeof prefix !== 'string' || !/^\/[A-Za-z0-9_./-]+$/.test(prefix))
    bad('recordPrefix', 'must be a path-like key prefix such as "/ghes-ops/service-desk"');
  return {
    local: v.local as string,
    domain: (v.domain as string).toLowerCase(),
    botName: botName as string,
    projects,
    dmarcFail: dmarc as 'drop' | 'label',
    burst: { max: burst.max as number, windowSeconds: burst.windowSeconds as number },
    maxAttachmentBytes: num('maxAttachmentBytes'),
    maxMessageBytes: num('maxMessageBytes'),
    publicUrl: (v.publicUrl as string).replace(/\/+$/, ''),
    recordPrefix: prefix as string,
    ...parseAgentSettings(v, bad),
    ...parseDeskExtras(v, bad),
  };
}

/** The desk configuration of a Lambda: GHES_OPS_SERVICE_DESK (JSON), read by `configFromEnv` once per cold start. */
export function deskConfigFromEnv(env: Record<string, string | undefined>): DeskConfig {
  const text = env.GHES_OPS_SERVICE_DESK;
  if (!text)
    throw new ConfigError(
      'Environment variable GHES_OPS_SERVICE_DESK is not set (service desk JSON settings).',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('GHES_OPS_SERVICE_DESK must be JSON.');
  }
  return parseDeskConfig(parsed, 'GHES_OPS_SERVICE_DESK');
}

// ---------------------------------------------------------------------------------------------
// deskb (issue 19 items 3-5): aliases, SLA, satisfaction. Kept apart from the settings above.
// ---------------------------------------------------------------------------------------------

/** One more address of a project: `<local>+<slug>-<suffix>@<domain>`. */
export interface DeskAlias {
  /** `[a-z0-9_]`, unique per project; the key is `<slug>-<suffix>` (GitLab's alias form). */
  suffix: string;
  /** Labels a new ticket from this address gets (besides `service-desk`). */
  labels: string[];
  /** GitHub logins a new ticket from this address is assigned to. */
  assignees: string[];
}

/** Response times for tickets carrying `label` (the strictest matching rule applies). */
export interface SlaRule {
  label: string;
  /** From the ticket's creation to the team's first `/reply`. */
  firstResponseMinutes: number;
  /** From a customer's mail (after the team answered once) to the team's next `/reply`. */
  nextResponseMinutes: number;
}

export interface SlaConfig {
  rules: SlaRule[];
  /** Label added to a ticket whose response time passed (default `sla-breached`). */
  breachLabel: string;
  /** Mentioned when the ticket has no assignees: `@org/team` or `@login`. */
  team?: string;
}

/** GitHub's label names: at most 50 characters; no commas (the REST API splits on them in filters). */
const LABEL = /^[^,\r\n\0]{1,50}$/;
/** GitHub logins: alphanumerics and single hyphens, at most 39 characters. */
export const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const MENTION = /^@[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\/[A-Za-z0-9_.-]{1,100})?$/;
/** A survey's single-use record outlives the link: the link may not live longer than it. */
export const SURVEY_MAX_EXPIRY_DAYS = 30;
const MAX_MINUTES = 366 * 24 * 60;

type Bad = (field: string, problem: string) => never;

const labelList = (v: unknown, field: string, bad: Bad): string[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 20 || v.some((l) => typeof l !== 'string' || !LABEL.test(l)))
    bad(field, 'must be a list of at most 20 label names (1-50 characters, no commas)');
  return [...new Set(v as string[])];
};

function parseProjectExtras(o: Record<string, unknown>, out: DeskProject, at: string, bad: Bad): void {
  if (o.satisfaction !== undefined && typeof o.satisfaction !== 'boolean')
    bad(`${at}.satisfaction`, 'must be true or false (mail a satisfaction survey when a ticket is closed)');
  if (o.satisfaction === true) out.satisfaction = true;
  if (o.aliases === undefined) return;
  if (!Array.isArray(o.aliases) || o.aliases.length > 50)
    bad(`${at}.aliases`, 'must be a list of at most 50 { suffix, labels, assignees }');
  out.aliases = (o.aliases as unknown[]).map((a, j): DeskAlias => {
    const f = `${at}.aliases[${j}]`;
    if (!a || typeof a !== 'object' || Array.isArray(a))
      bad(f, 'must be an object { suffix, labels, assignees }');
    const x = a as Record<string, unknown>;
    for (const k of Object.keys(x))
      if (!['suffix', 'labels', 'assignees'].includes(k))
        bad(`${f}.${k}`, 'is not a known setting (known: suffix, labels, assignees)');
    if (typeof x.suffix !== 'string' || !SUFFIX.test(x.suffix))
      bad(
        `${f}.suffix`,
        'may hold only a-z, 0-9 and _ (1-50 characters); the address is <local>+<slug>-<suffix>@<domain>',
      );
    const assignees = x.assignees ?? [];
    if (
      !Array.isArray(assignees) ||
      assignees.length > 10 ||
      assignees.some((l) => typeof l !== 'string' || !LOGIN.test(l))
    )
      bad(`${f}.assignees`, 'must be a list of at most 10 GitHub logins (GitHub allows 10 assignees)');
    return {
      suffix: x.suffix,
      labels: labelList(x.labels, `${f}.labels`, bad),
      assignees: [...new Set(assignees as string[])],
    };
  });
  const seen = new Set(out.suffix ? [out.suffix] : []);
  for (const [j, a] of out.aliases.entries()) {
    if (seen.has(a.suffix))
      bad(
        `${at}.aliases[${j}].suffix`,
        `"${a.suffix}" is used twice in this project: each address needs its own suffix`,
      );
    seen.add(a.suffix);
  }
}

/** Every project key (default, suffix, aliases) names one project only. */
function checkUniqueKeys(projects: DeskProject[], bad: Bad): void {
  const owner = new Map<string, number>();
  projects.forEach((p, i) => {
    const keys = [defaultKey(p), aliasKey(p), ...(p.aliases ?? []).map((a) => `${p.slug}-${a.suffix}`)];
    for (const k of keys) {
      if (!k) continue;
      const other = owner.get(k);
      if (other !== undefined && other !== i)
        bad(
          'projects',
          `the address key "${k}" belongs to both projects[${other}] (${projects[other]!.slug}) and projects[${i}] (${p.slug}): change a suffix`,
        );
      owner.set(k, i);
    }
  });
}

function parseDeskExtras(
  v: Record<string, unknown>,
  bad: Bad,
): Pick<DeskConfig, 'satisfaction'> & { sla?: SlaConfig } {
  const s = (v.satisfaction ?? {}) as Record<string, unknown>;
  if (!s || typeof s !== 'object' || Array.isArray(s))
    bad('satisfaction', 'must be an object { expiryDays }');
  const expiryDays = s.expiryDays ?? 14;
  if (
    typeof expiryDays !== 'number' ||
    !Number.isInteger(expiryDays) ||
    expiryDays < 1 ||
    expiryDays > SURVEY_MAX_EXPIRY_DAYS
  )
    bad('satisfaction.expiryDays', `must be a whole number of days from 1 to ${SURVEY_MAX_EXPIRY_DAYS}`);
  const out: Pick<DeskConfig, 'satisfaction'> & { sla?: SlaConfig } = {
    satisfaction: { expiryDays: expiryDays },
  };
  if (v.sla === undefined) return out;
  if (!v.sla || typeof v.sla !== 'object' || Array.isArray(v.sla))
    bad('sla', 'must be an object { rules, breachLabel, team }');
  const sla = v.sla as Record<string, unknown>;
  for (const k of Object.keys(sla))
    if (!['rules', 'breachLabel', 'team'].includes(k))
      bad(`sla.${k}`, 'is not a known setting (known: rules, breachLabel, team)');
  if (!Array.isArray(sla.rules) || sla.rules.length === 0 || sla.rules.length > 50)
    bad('sla.rules', 'must list 1 to 50 rules { label, firstResponseMinutes, nextResponseMinutes }');
  const minutes = (x: unknown, f: string): number => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > MAX_MINUTES)
      bad(f, `must be a whole number of minutes from 1 to ${MAX_MINUTES}`);
    return x;
  };
  const rules = (sla.rules as unknown[]).map((r, i): SlaRule => {
    const f = `sla.rules[${i}]`;
    const x = (r ?? {}) as Record<string, unknown>;
    if (typeof x.label !== 'string' || !LABEL.test(x.label))
      bad(
        `${f}.label`,
        'must be a label name (1-50 characters, no commas); `service-desk` matches every ticket',
      );
    return {
      label: x.label,
      firstResponseMinutes: minutes(x.firstResponseMinutes, `${f}.firstResponseMinutes`),
      nextResponseMinutes: minutes(x.nextResponseMinutes, `${f}.nextResponseMinutes`),
    };
  });
  const labels = rules.map((r) => r.label.toLowerCase());
  if (new Set(labels).size !== labels.length) bad('sla.rules', 'has two rules for one label: keep one');
  const breachLabel = sla.breachLabel ?? 'sla-breached';
  if (typeof breachLabel !== 'string' || !LABEL.test(breachLabel))
    bad('sla.breachLabel', 'must be a label name (1-50 characters, no commas)');
  if (sla.team !== undefined && (typeof sla.team !== 'string' || !MENTION.test(sla.team)))
    bad('sla.team', 'must be a mention such as "@acme/support" (a team) or "@octocat"');
  out.sla = {
    rules,
    breachLabel: breachLabel,
    ...(typeof sla.team === 'string' ? { team: sla.team } : {}),
  };
  return out;
}
