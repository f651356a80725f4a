import { createHash } from 'node:crypto';
import { SERVICE_DESK_LABEL } from './labels.js';
import { ConfigError, GhesOpsError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Mailer, OutgoingMail } from '../mail/mailer.js';
import type { RecordStore } from '../records/record-store.js';
import { ticketExtras } from './aliases.js';
import type { DeskAlias, DeskConfig, DeskProject } from './config.js';
import { defaultKey, mailTextOf, nonParticipantPolicy } from './config.js';
import { collectReplyFiles, type MailFile } from './attachments.js';
import {
  checkAddresses,
  MAX_EMAILS_PER_COMMAND,
  MAX_PARTICIPANTS,
  type ParsedComment,
  type QuickAction,
} from './quick-actions.js';
import { filterMail, type Verdicts } from './filter.js';
import { splitForGitHub } from './limits.js';
import { ticketThread } from './thread-headers.js';
import { normalizeId, parseMail, type MailAttachment, type ParsedMail } from './parse.js';
import { deliveredTo, keysIn, routeMail, verifyAddressesIn, type Route } from './route.js';
import { cutAt, ticketInline, ticketTitle } from './sanitize.js';
import {
  DeskStore,
  newReplyKey,
  UNDELIVERABLE_DAYS,
  type Participant,
  type ReplyKeyRecord,
  type SentRecord,
  type TicketRecord,
} from './store.js';
import { stripQuoted, REPLY_MARKER } from './strip.js';
import {
  cachedRead,
  loadTemplate,
  markdownToHtml,
  render,
  TEMPLATE_DIR,
  type TemplateName,
} from './templates.js';
import { TicketApiError, type Ticket, type TicketRepository } from './tickets.js';

/** A `+verify` mail as the verification workflow sees it (shared/service-desk/custom-email/inbox.ts). */
export interface VerificationMail {
  messageId?: string;
  from?: string;
  to: string[];
  subject: string;
  body: string;
  /** SES verdicts (locally: the sandbox mail provider's); the From's SPF/DKIM/DMARC among them. */
  verdicts: Verdicts;
  /** The service desk addresses it was delivered to (envelope recipients on the desk domain). */
  deliveredTo: string[];
  /** The `<local>+verify@<domain>` addresses it names (To, delivery headers, envelope). */
  verifyAddresses: string[];
}

/** Accepted by a waiting verification, or dropped with the reason that is logged. */
export type VerificationReceipt = { accepted: true; project: string } | { accepted: false; reason: string };

/** Mail to `+verify`: handed to the custom-email verification workflow (issue 5), never a ticket. */
export interface VerificationInbox {
  received(mail: VerificationMail): Promise<VerificationReceipt | void>;
}

/**
 * A project's verified and enabled custom address (issue 5): outgoing mail goes From it through
 * the customer's SMTP server. `undefined` when the project has none enabled.
 */
export interface CustomSender {
  forProject(
    project: string,
  ): Promise<{ address: string; send(mail: OutgoingMail): Promise<void> } | undefined>;
}

type CustomRoute = Awaited<ReturnType<CustomSender['forProject']>>;

/** Per-mail values beyond the ticket's: a note's text and its files. */
interface MailExtra {
  NOTE_TEXT?: string;
  files?: MailFile[];
}

/** Keeps attachments somewhere the team can reach; returns where (shown on the ticket). */
export interface AttachmentSink {
  save(ticket: string, attachment: MailAttachment): Promise<string>;
}

export interface Inbound {
  raw: Uint8Array;
  /** Envelope recipients (SES receipt.recipients, SMTP RCPT TO). */
  envelope?: string[];
  verdicts?: Verdicts;
  /** Where the raw message is kept (s3://... or a local file), for the ticket. */
  source?: string;
}

export type Outcome =
  | { action: 'created'; repo: string; number: number; messageKey: string }
  | { action: 'commented'; repo: string; number: number; reopened: boolean; messageKey: string }
  | { action: 'unsubscribed'; address?: string }
  | { action: 'verification' }
  | { action: 'bounced'; addresses: string[]; repo?: string; number?: number }
  | { action: 'duplicate'; messageKey: string; result: Record<string, unknown> }
  | { action: 'dropped'; reason: string }
  /** A new ticket over the sender's burst limit: kept (the raw mail stays in the bucket) for an operator to release. */
  | { action: 'held'; reason: 'sender-burst-limit'; messageKey: string; from?: string; subject: string };

/** Another delivery of the same message is being processed: retry later (async Lambda retries). */
export class DeliveryInProgress extends GhesOpsError {
  readonly name = 'DeliveryInProgress';
}

export interface DeskDeps {
  config: DeskConfig;
  tickets: TicketRepository;
  /** Idempotency, reply keys, threads, burst counters (DynamoDB in AWS). */
  records: RecordStore;
  mailer: Mailer;
  log: Logger;
  now: () => number;
  /** Default: `RecordingVerificationInbox` on the desk's store. */
  verification?: VerificationInbox;
  attachments?: AttachmentSink;
  /** The projects' custom addresses (shared/service-desk/custom-email/sender.ts). */
  customSender?: CustomSender;
}

export { SERVICE_DESK_LABEL };
/** `%{ISSUE_DESCRIPTION}` kept with a ticket record at most this long. */
const MAX_DESCRIPTION = 20_000;

/** What one quick action did (or why it was refused), for the acknowledgement on the ticket. */
export interface ActionResult {
  ok: boolean;
  /** Plain text; sanitized when it goes on the ticket. */
  text: string;
  sent?: number;
}

/** A team comment's quick actions as the webhook reports them. */
export interface CommentOutcome {
  action: string;
  sent: number;
  results: { command: string; ok: boolean }[];
}
const LEASE_MS = 5 * 60_000;
const DAY_MS = 24 * 3600 * 1000;
/** A permanent failure in a DSN: Action failed with a 5.x.x status (RFC 3463). */
const HARD_STATUS = /^5\.\d{1,3}\.\d{1,3}$/;

/**
 * Records verification mail in the store when no verification workflow is wired (tests, a desk
 * without one). Whether a token was found, never the token: the record is not a secret store.
 */
export class RecordingVerificationInbox implements VerificationInbox {
  constructor(private readonly store: DeskStore) {}
  async received(mail: VerificationMail): Promise<void> {
    await this.store.record('verify', mail.messageId ?? mail.subject, {
      from: mail.from,
      to: mail.to,
      subject: mail.subject.slice(0, 200),
      tokenFound: /Verification token: ([A-Za-z0-9_-]{12})/.test(mail.body),
      verdicts: mail.verdicts,
    });
  }
}

export class ServiceDesk {
  readonly store: DeskStore;
  private readonly verification: VerificationInbox;

  constructor(private readonly d: DeskDeps) {
    this.store = new DeskStore(d.records, d.config.recordPrefix);
    this.verification = d.verification ?? new RecordingVerificationInbox(this.store);
  }

  private get c(): DeskConfig {
    return this.d.config;
  }

  /** The whole inbound path: parse, filter, route, exactly-once, act, mail. Throws only to be retried. */
  async ingest(inbound: Inbound): Promise<Outcome> {
    const mail = await parseMail(inbound.raw, this.c);
    const messageKey = mail.messageId ?? `sha256:${createHash('sha256').update(inbound.raw).digest('hex')}`;
    const ctx = { messageId: messageKey, from: mail.replyTo ?? mail.from ?? mail.sender, size: mail.size };
    const drop = (reason: string): Outcome => {
      this.d.log.warn('service desk: mail dropped', { ...ctx, reason });
      return { action: 'dropped', reason };
    };
    const verdicts = inbound.verdicts ?? {};
    const filtered = filterMail(mail, this.c, verdicts);
    let route: Route = routeMail(mail, this.c, inbound.envelope);
    // A delivery status notification never makes a ticket, but a hard bounce is acted on.
    const bounce = filtered.drop && filtered.reason.startsWith('delivery-report') && !!mail.report;
    // A verification mail failing DMARC still reaches the verification, which reports the verdicts.
    if (filtered.drop && !bounce && !(filtered.reason === 'dmarc-fail' && route.kind === 'verify'))
      return drop(filtered.reason);
    let threaded: ReplyKeyRecord | undefined;
    if ((route.kind === 'none' || route.kind === 'project') && mail.inReplyTo) {
      threaded = await this.store.thread(mail.inReplyTo);
      if (threaded) route = { kind: 'reply', key: '' };
    }
    if (route.kind === 'none' && !bounce) return drop('no-service-desk-key');
    const claim = await this.store.claim(messageKey, this.d.now(), LEASE_MS);
    if (claim.state === 'done') {
      this.d.log.info('service desk: duplicate delivery ignored', ctx);
      return { action: 'duplicate', messageKey, result: claim.result };
    }
    if (claim.state === 'pending')
      throw new DeliveryInProgress(
        `Message ${messageKey} is being processed by another delivery; retry later.`,
      );
    let outcome: Outcome;
    try {
      if (bounce) {
        outcome = await this.bounced(mail, drop);
      } else if (route.kind === 'verify') {
        const receipt = await this.verification.received({
          ...(mail.messageId ? { messageId: mail.messageId } : {}),
          ...(mail.from ? { from: mail.from } : {}),
          to: mail.to,
          subject: mail.subject,
          body: mail.body,
          verdicts,
          deliveredTo: deliveredTo(mail, this.c, inbound.envelope),
          verifyAddresses: verifyAddressesIn(mail, inbound.envelope),
        });
        outcome = receipt && !receipt.accepted ? drop(receipt.reason) : { action: 'verification' };
      } else if (route.kind === 'unsubscribe') {
        outcome = await this.unsubscribe(route.key);
      } else if (
        // Only new tickets count against the burst limit: a reply to an existing ticket (reply key
        // or thread) always lands. A mail an operator released is ingested without the limit.
        route.kind === 'project' &&
        (await this.store.burst(
          ctx.from ?? '',
          this.d.now(),
          this.c.burst.max,
          this.c.burst.windowSeconds * 1000,
        )) &&
        !(await this.store.heldReleased(messageKey))
      ) {
        outcome = await this.hold(mail, messageKey, ctx.from);
      } else if (route.kind === 'project') {
        const labels = filtered.drop ? [] : filtered.labels;
        outcome = await this.createTicket(
          mail,
          route.project,
          labels,
          messageKey,
          inbound.source,
          route.alias, // deskb (issue 19 item 3): the alias's labels and assignees
        );
      } else if (route.kind === 'reply') {
        const rec = threaded ?? (await this.store.replyKey(route.key));
        if (!rec) outcome = drop('unknown-reply-key');
        else outcome = await this.addReply(mail, rec, messageKey, inbound.source);
      } else {
        outcome = drop('no-service-desk-key');
      }
    } catch (e) {
      await this.store.release(messageKey).catch(() => undefined);
      throw e;
    }
    // A held mail is not done: released, the same Message-ID is ingested again.
    if (outcome.action === 'held') await this.store.release(messageKey);
    else await this.store.finish(messageKey, { ...outcome });
    await this.afterCommit(outcome, mail);
    return outcome;
  }

  /**
   * Holds a new ticket over the sender's burst limit (never silently dropped): logged with the
   * reason, and the human sender is told, at most once per burst window, that the message was
   * received and will be looked at. Automatic senders never get it (filtered before, RFC 3834).
   */
  private async hold(mail: ParsedMail, messageKey: string, from: string | undefined): Promise<Outcome> {
    const subject = mail.subject.slice(0, 200);
    this.d.log.warn('service desk: mail held', { messageId: messageKey, from, reason: 'sender-burst-limit' });
    const window = Math.floor(this.d.now() / (this.c.burst.windowSeconds * 1000));
    if (from && (await this.store.once('held-notice', `${from.toLowerCase()}/${window}`))) {
      try {
        await this.d.mailer.send({
          from: `${this.c.botName} <${this.c.local}@${this.c.domain}>`,
          to: [from],
          subject: `Re: ${subject}`,
          text:
            `We received your message "${subject}" and will look at it.\n\n` +
            `You sent us many messages in a short time, so this one was not turned into a ticket ` +
            `automatically: a person will review it. You do not need to send it again.\n`,
          headers: {
            'Auto-Submitted': 'auto-replied',
            'X-Auto-Response-Suppress': 'All',
            ...(mail.messageId && !mail.syntheticMessageId ? { 'In-Reply-To': mail.messageId } : {}),
          },
        });
      } catch (e) {
        this.d.log.error('service desk: held notice not sent', { detail: (e as Error).message });
      }
    }
    return {
      action: 'held',
      reason: 'sender-burst-limit',
      messageKey,
      ...(from ? { from } : {}),
      subject,
    };
  }

  private pendingMail = new Map<string, () => Promise<void>>();

  /** Mail goes out only after the record is final, so a retry never creates a second ticket. */
  private async afterCommit(outcome: Outcome, mail: ParsedMail): Promise<void> {
    if (outcome.action !== 'created' && outcome.action !== 'commented') return;
    const key = `${outcome.messageKey}`;
    const send = this.pendingMail.get(key);
    this.pendingMail.delete(key);
    if (!send) return;
    try {
      await send();
    } catch (e) {
      this.d.log.error('service desk: notification mail not sent (the ticket is kept)', {
        messageId: key,
        error: (e as Error).message,
        subject: mail.subject.slice(0, 80),
      });
    }
  }

  private async checkPrivate(repo: string): Promise<void> {
    // Read at most every REPO_READ_CACHE_MS per tickets client (a Lambda container, the local stack).
    const v = await cachedRead(this.d.tickets, `visibility:${repo}`, () => this.d.tickets.visibility(repo));
    if (v !== 'private')
      throw new ConfigError(
        `The tickets repository ${repo} is not private: service desk tickets would be visible to others. Make it private.`,
      );
  }

  private participantsOf(mail: ParsedMail, notes: string[]): string[] {
    const own = (a: string): boolean =>
      a.endsWith(`@${this.c.domain}`) &&
      (a.startsWith(`${this.c.local.toLowerCase()}@`) || a.startsWith(`${this.c.local.toLowerCase()}+`));
    const sender = mail.replyTo ?? mail.from ?? mail.sender;
    const all = [...new Set([sender, ...mail.cc].filter((a): a is string => !!a && !own(a)))];
    if (all.length > MAX_PARTICIPANTS)
      notes.push(
        `${all.length - MAX_PARTICIPANTS} Cc address(es) were not added: at most ${MAX_PARTICIPANTS} external participants`,
      );
    return all.slice(0, MAX_PARTICIPANTS);
  }

  /** Name and address as shown on a ticket: both through the sanitizer. */
  private who(address: string, name?: string): string {
    return name ? `${ticketInline(name, 100)} (${ticketInline(address, 260)})` : ticketInline(address, 260);
  }

  private async attachmentList(ref: string, mail: ParsedMail): Promise<string[]> {
    const lines: string[] = [];
    for (const a of mail.attachments) {
      let where = a.content ? 'kept with the raw message' : 'not kept (over the limit)';
      if (a.content && this.d.attachments) where = await this.d.attachments.save(ref, a);
      lines.push(
        `- ${ticketInline(a.name, 160)} (${a.size} bytes, ${ticketInline(a.mimeType || 'unknown type', 100)}): ${ticketInline(where, 400)}`,
      );
    }
    return lines;
  }

  /** Attachments, notes and the raw message's place: every line through the sanitizer. */
  private extras(attachments: string[], notes: string[], source?: string): string {
    let s = '';
    if (attachments.length) s += `\n\n**Attachments**\n${attachments.join('\n')}`;
    if (notes.length)
      s += `\n\n**Notes from the service desk**\n${notes.map((n) => `- ${ticketInline(n, 400)}`).join('\n')}`;
    if (source) s += `\n\nRaw message: ${ticketInline(source, 400)}`;
    return s;
  }

  /** Posts `parts[1..]` as follow-up comments (parts[0] went into the issue or first comment). */
  private async followUps(repo: string, number: number, parts: string[]): Promise<void> {
    for (const part of parts.slice(1)) await this.d.tickets.addComment(repo, number, part);
  }

  private async createTicket(
    mail: ParsedMail,
    project: DeskProject,
    labels: string[],
    messageKey: string,
    source?: string,
    alias?: DeskAlias,
  ): Promise<Outcome> {
    // The reads before the issue is created overlap (each is cached per tickets client).
    const descriptionTemplate = project.descriptionTemplate;
    const [, template] = await Promise.all([
      this.checkPrivate(project.repo),
      descriptionTemplate
        ? cachedRead(this.d.tickets, `file:${project.repo}:${descriptionTemplate}`, () =>
            this.d.tickets.readFile(project.repo, `${TEMPLATE_DIR}/${descriptionTemplate}.md`),
          ).then(
            (t) => t ?? '',
            () => '',
          )
        : Promise.resolve(''),
    ]);
    const extras = ticketExtras(alias);
    const notes = [...mail.notes];
    const participants = this.participantsOf(mail, notes);
    const text = mail.body;
    const names = mail.names ?? {};
    const head = [
      `**From:** ${participants[0] ? this.who(participants[0], names[participants[0]]) : '(unknown)'} (external, by email)`,
      participants.length > 1
        ? `**Participants:** ${participants
            .slice(1)
            .map((a) => this.who(a, names[a]))
            .join(', ')}`
        : '',
      mail.messageId && !mail.syntheticMessageId
        ? `**Message-ID:** \`${mail.messageId.replace(/`/g, '')}\``
        : '',
    ].filter(Boolean);
    const attachments = await this.attachmentList(`${project.repo}/${messageKey}`, mail);
    const body = `${head.join('  \n')}\n\n${text || '_(no text)_'}${template ? `\n\n${template}` : ''}${this.extras(attachments, notes, source)}`;
    // GitHub's limits: title <= 256 (ticketTitle), body and each comment <= 65,536 characters.
    const parts = splitForGitHub(body, source ? { source } : {});
    const ticket = await this.d.tickets.createIssue(project.repo, {
      title: ticketTitle(mail.subject) || '(no subject)',
      body: parts[0]!,
      labels: [...new Set([SERVICE_DESK_LABEL, ...labels, ...extras.labels])],
    });
    await this.followUps(project.repo, ticket.number, parts);
    // deskb (issue 19 item 3): an alias's assignees. The ticket exists now: a failure here is
    // logged, never thrown (a retry would open a second ticket).
    if (extras.assignees.length)
      await this.d.tickets.addAssignees(project.repo, ticket.number, extras.assignees).catch((e: Error) =>
        this.d.log.warn('service desk: alias assignees not set (the ticket is kept)', {
          repo: project.repo,
          number: ticket.number,
          assignees: extras.assignees,
          detail: e.message,
        }),
      );
    const record: TicketRecord = {
      repo: project.repo,
      number: ticket.number,
      ...(ticket.nodeId ? { nodeId: ticket.nodeId } : {}),
      title: ticket.title,
      project: defaultKey(project),
      participants: participants.map((address) => ({
        address,
        replyKey: newReplyKey(),
        ...(names[address] ? { name: names[address] } : {}),
      })),
      ...(mail.messageId && !mail.syntheticMessageId ? { rootMessageId: mail.messageId } : {}),
      description: cutAt(text, MAX_DESCRIPTION),
    };
    // The ticket's records are independent writes: made at once (one round trip, not 2 + n).
    const ref = {
      repo: record.repo,
      number: record.number,
      ...(record.nodeId ? { nodeId: record.nodeId } : {}),
    };
    await Promise.all([
      this.store.saveTicket(record),
      ...record.participants.map((p) => this.store.saveReplyKey(p.replyKey, { ...ref, address: p.address })),
      mail.messageId && !mail.syntheticMessageId
        ? this.store.saveThread(mail.messageId, { ...ref, address: participants[0] ?? '' })
        : undefined,
    ]);
    this.d.log.info('service desk: ticket created', {
      repo: record.repo,
      number: ticket.number,
      messageId: messageKey,
    });
    this.pendingMail.set(messageKey, async () => {
      const [first, ...others] = record.participants;
      if (first) await this.mailParticipants('thank_you', record, [first], ticket, {});
      await this.mailParticipants('new_participant', record, others, ticket, {});
    });
    return { action: 'created', repo: record.repo, number: ticket.number, messageKey };
  }

  /** The issue now at `repo#number`, or undefined when there is none (deleted, transferred away). */
  private async currentIssue(repo: string, number: number): Promise<Ticket | undefined> {
    try {
      return await this.d.tickets.getIssue(repo, number);
    } catch (e) {
      if (e instanceof TicketApiError && (e.details.status === 404 || e.details.status === 410))
        return undefined;
      throw e;
    }
  }

  private async addReply(
    mail: ParsedMail,
    rec: ReplyKeyRecord,
    messageKey: string,
    source?: string,
    labels: string[] = [],
  ): Promise<Outcome> {
    // Tickets are the issue they were made as (its node id), never whatever now has that name and
    // number: a reply to a ticket that is gone (deleted, transferred, repository recreated) opens
    // a new ticket with a note, never a comment on somebody else's.
    const current = await this.currentIssue(rec.repo, rec.number);
    if (!current || (rec.nodeId && current.nodeId !== rec.nodeId)) {
      const project = this.c.projects.find((p) => p.repo === rec.repo);
      this.d.log.warn('service desk: reply to a ticket that no longer exists', {
        repo: rec.repo,
        number: rec.number,
        messageId: messageKey,
      });
      if (!project) return { action: 'dropped', reason: 'ticket-gone' };
      mail.notes.push(
        `This message answers ticket #${rec.number} of ${rec.repo}, which no longer exists (deleted, transferred or the repository was recreated): it opened this new ticket instead.`,
      );
      return this.createTicket(mail, project, labels, messageKey, source);
    }
    const record = await this.store.ticket(rec.repo, rec.number, rec.nodeId ?? current.nodeId);
    if (!record) return { action: 'dropped', reason: 'ticket-record-missing' };
    const author = mail.replyTo ?? mail.from ?? rec.address;
    const authorShown = this.who(author, mail.names?.[author]);
    // Someone who is not a participant wrote through the ticket's reply address (it was
    // forwarded, or leaked): the project's policy decides (docs/service-desk.md).
    const project = this.c.projects.find((p) => p.repo === rec.repo);
    const outsider = !record.participants.some((p) => p.address.toLowerCase() === author.toLowerCase());
    let policy = outsider ? nonParticipantPolicy(this.c, project) : undefined;
    if (policy === 'new-ticket' && !project) policy = 'comment';
    if (policy)
      this.d.log.warn('service desk: reply from someone who is not a participant', {
        repo: rec.repo,
        number: rec.number,
        messageId: messageKey,
        policy,
      });
    if (policy === 'new-ticket' && project) {
      mail.notes.push(
        `This message was sent to the reply address of ticket #${rec.number} by someone who is not one of its participants (the address was forwarded): it opened this new ticket (nonParticipantReply "new-ticket").`,
      );
      return this.createTicket(mail, project, labels, messageKey, source);
    }
    const { text } = stripQuoted(mail.body);
    const notes = [...mail.notes];
    if (policy === 'comment')
      notes.push(
        `The sender is not a participant of this ticket (the reply address was forwarded): they were not added and get no mail. To include them, comment /add_email with their address.`,
      );
    const attachments = await this.attachmentList(`${rec.repo}/${messageKey}`, mail);
    const body = `**${authorShown}**${policy ? ' (not a participant)' : ''} replied by email:\n\n${text || '_(no text)_'}${this.extras(attachments, notes, source)}`;
    const parts = splitForGitHub(body, source ? { source } : {});
    await this.d.tickets.addComment(rec.repo, rec.number, parts[0]!);
    await this.followUps(rec.repo, rec.number, parts);
    const ticket = current;
    let reopened = false;
    if (ticket.state === 'closed' && project?.reopen) {
      await this.d.tickets.reopen(rec.repo, rec.number);
      const who = ticket.assignees.length ? ticket.assignees.map((a) => `@${a}`).join(' ') : 'the team';
      await this.d.tickets.addComment(
        rec.repo,
        rec.number,
        `Reopened: ${authorShown} wrote after the ticket was closed. ${who}, please have a look.`,
      );
      reopened = true;
    }
    // New Cc participants join the ticket (at most 10 in all); someone who is not a participant
    // adds nobody (not even themselves) unless the policy is `comment-and-add`.
    const known = new Set(record.participants.map((p) => p.address));
    const added: Participant[] = [];
    for (const a of policy === 'comment' ? [] : this.participantsOf(mail, [])) {
      if (known.has(a) || record.participants.length >= MAX_PARTICIPANTS) continue;
      const name = mail.names?.[a];
      const p: Participant = { address: a, replyKey: newReplyKey(), ...(name ? { name } : {}) };
      record.participants.push(p);
      added.push(p);
      known.add(a);
      await this.store.saveReplyKey(p.replyKey, {
        repo: rec.repo,
        number: rec.number,
        ...(record.nodeId ? { nodeId: record.nodeId } : {}),
        address: a,
      });
    }
    if (added.length) await this.store.saveTicket(record);
    this.d.log.info('service desk: reply added', {
      repo: rec.repo,
      number: rec.number,
      messageId: messageKey,
      reopened,
    });
    this.pendingMail.set(messageKey, async () => {
      await this.mailParticipants('new_participant', record, added, ticket, {});
    });
    return { action: 'commented', repo: rec.repo, number: rec.number, reopened, messageKey };
  }

  /** Stops mail to the participant of `replyKey` (mailto and HTTP link). */
  async unsubscribe(replyKey: string): Promise<Outcome> {
    const rec = await this.store.replyKey(replyKey);
    if (!rec) return { action: 'dropped', reason: 'unknown-unsubscribe-key' };
    const record = await this.store.ticket(rec.repo, rec.number, rec.nodeId);
    const p = record?.participants.find((x) => x.replyKey === replyKey);
    if (record && p && !p.unsubscribed) {
      p.unsubscribed = true;
      await this.store.saveTicket(record);
    }
    this.d.log.info('service desk: participant unsubscribed', { repo: rec.repo, number: rec.number });
    return { action: 'unsubscribed', address: rec.address };
  }

  /** Sends the new-note mail of a team reply to every subscribed participant. */
  async mailNote(repo: string, number: number, note: string, files: MailFile[] = []): Promise<number> {
    const ticket = await this.d.tickets.getIssue(repo, number);
    const record = await this.store.ticket(repo, number, ticket.nodeId);
    if (!record) return 0;
    return this.mailParticipants('new_note', record, record.participants, ticket, { NOTE_TEXT: note, files });
  }

  /**
   * Mails the `closed` template to the participants of a ticket that was closed, when its project
   * opted in (`closedMail`). Once per closing (keyed on the issue and its `closed_at`), so `/close`
   * and the `issues` webhook it causes mail once. Returns how many were mailed.
   */
  async mailClosed(repo: string, number: number, closedAt?: string): Promise<number> {
    const project = this.projectOfRepo(repo);
    if (!project?.closedMail) return 0;
    const ticket = await this.d.tickets.getIssue(repo, number);
    const record = await this.store.ticket(repo, number, ticket.nodeId);
    if (!record) return 0;
    return Math.max(0, await this.mailClosedOnce(record, ticket, closedAt ?? ticket.closedAt));
  }

  /** Mails `closed` once per closing; -1 when this closing was mailed already. */
  private async mailClosedOnce(
    record: TicketRecord,
    ticket: Ticket,
    closedAt: string | undefined,
  ): Promise<number> {
    const key = `${record.nodeId ?? `${record.repo}#${record.number}`}/${closedAt ?? 'unknown'}`;
    if (!(await this.store.once('closed-mail', key))) return -1;
    try {
      return await this.mailParticipants('closed', record, record.participants, ticket, {});
    } catch (e) {
      await this.store.forget('closed-mail', key);
      throw e;
    }
  }

  projectOfRepo(repo: string): DeskProject | undefined {
    return this.c.projects.find((p) => p.repo.toLowerCase() === repo.toLowerCase());
  }

  /**
   * A team comment's quick actions and `/reply` (quick-actions.ts), in order, acknowledged on the
   * ticket by one short comment: what each did, or why it was refused. A `/reply` alone that
   * mailed somebody and had no attachments needs no acknowledgement (the comment is the answer).
   * Issues outside the desk's repositories are left alone (no comment).
   */
  async handleComment(repo: string, number: number, parsed: ParsedComment): Promise<CommentOutcome> {
    const project = this.projectOfRepo(repo);
    if (!project) return { action: 'not-a-desk-repository', sent: 0, results: [] };
    const lines: string[] = [];
    const results: CommentOutcome['results'] = [];
    let sent = 0;
    const note = (command: string, r: ActionResult): void => {
      lines.push(`- \`/${command}\`: ${ticketInline(r.text, 1200)}`);
      results.push({ command, ok: r.ok });
      sent += r.sent ?? 0;
    };
    for (const a of parsed.actions) note(a.name, await this.runAction(project, repo, number, a));
    let replyOnly: 'mailed' | 'no-ticket-record' | undefined;
    if (parsed.note !== undefined) {
      const r = await this.reply(repo, number, parsed.note);
      if (r.quiet && !parsed.actions.length) {
        results.push({ command: 'reply', ok: r.ok });
        sent += r.sent ?? 0;
      } else note('reply', r);
      if (!parsed.actions.length) replyOnly = r.ok && r.sent ? 'mailed' : 'no-ticket-record';
    }
    if (lines.length)
      await this.d.tickets.addComment(repo, number, `**Service desk** (quick actions)\n${lines.join('\n')}`);
    this.d.log.info('service desk: team comment handled', { repo, number, results, sent });
    return { action: replyOnly ?? 'quick-actions', sent, results };
  }

  private async runAction(
    project: DeskProject,
    repo: string,
    number: number,
    a: QuickAction,
  ): Promise<ActionResult> {
    switch (a.name) {
      case 'add_email':
        return this.addEmails(repo, number, a.args);
      case 'remove_email':
        return this.removeEmails(repo, number, a.args);
      case 'convert_to_ticket':
        return this.convertToTicket(project, repo, number, a.args);
      case 'close':
        return this.closeTicket(project, repo, number);
    }
  }

  private static readonly NOT_A_TICKET: ActionResult = {
    ok: false,
    text: 'refused: this issue is not a service desk ticket (make it one with /convert_to_ticket <email>)',
  };

  private async ticketWithRecord(
    repo: string,
    number: number,
  ): Promise<{ ticket: Ticket; record: TicketRecord | undefined }> {
    const ticket = await this.d.tickets.getIssue(repo, number);
    return { ticket, record: await this.store.ticket(repo, number, ticket.nodeId) };
  }

  private async addParticipant(record: TicketRecord, address: string): Promise<Participant> {
    const p: Participant = { address, replyKey: newReplyKey() };
    record.participants.push(p);
    await this.store.saveReplyKey(p.replyKey, {
      repo: record.repo,
      number: record.number,
      ...(record.nodeId ? { nodeId: record.nodeId } : {}),
      address,
    });
    return p;
  }

  /** `/add_email`: at most 6 addresses per command and 10 external participants per ticket. */
  async addEmails(repo: string, number: number, args: string): Promise<ActionResult> {
    const check = checkAddresses(args, this.c, MAX_EMAILS_PER_COMMAND);
    if (!check.ok) return { ok: false, text: `refused: ${check.reason}` };
    const { ticket, record } = await this.ticketWithRecord(repo, number);
    if (!record) return ServiceDesk.NOT_A_TICKET;
    const known = new Set(record.participants.map((p) => p.address.toLowerCase()));
    const already = check.addresses.filter((a) => known.has(a));
    const fresh = check.addresses.filter((a) => !known.has(a));
    if (record.participants.length + fresh.length > MAX_PARTICIPANTS)
      return {
        ok: false,
        text: `refused: the ticket has ${record.participants.length} external participants and takes at most ${MAX_PARTICIPANTS} (room for ${Math.max(0, MAX_PARTICIPANTS - record.participants.length)}); nobody was added`,
      };
    const added: Participant[] = [];
    for (const a of fresh) added.push(await this.addParticipant(record, a));
    if (added.length) await this.store.saveTicket(record);
    const { sent, failed } = await this.welcome(record, added, ticket);
    const parts = [
      added.length ? `added ${fresh.join(', ')} (${sent} mailed the new-participant message${failed})` : '',
      already.length ? `already participants: ${already.join(', ')}` : '',
    ].filter(Boolean);
    return { ok: added.length > 0, text: parts.join('; '), sent };
  }

  /**
   * The new-participant mail of participants a quick action added. They are added either way: a
   * mail that fails is said in the acknowledgement (and logged), never undoes the action.
   */
  private async welcome(
    record: TicketRecord,
    added: Participant[],
    ticket: Ticket,
  ): Promise<{ sent: number; failed: string }> {
    try {
      return { sent: await this.mailParticipants('new_participant', record, added, ticket, {}), failed: '' };
    } catch (e) {
      this.d.log.error('service desk: new-participant mail not sent (the participants are added)', {
        repo: record.repo,
        number: record.number,
        detail: (e as Error).message,
      });
      return { sent: 0, failed: `; the mail failed: ${(e as Error).message.slice(0, 300)}` };
    }
  }

  /** `/remove_email`: they get no more mail; a later reply of theirs is a non-participant's. */
  async removeEmails(repo: string, number: number, args: string): Promise<ActionResult> {
    const check = checkAddresses(args, this.c, MAX_EMAILS_PER_COMMAND);
    if (!check.ok) return { ok: false, text: `refused: ${check.reason}` };
    const { record } = await this.ticketWithRecord(repo, number);
    if (!record) return ServiceDesk.NOT_A_TICKET;
    const gone = new Set(check.addresses);
    const removed = record.participants
      .filter((p) => gone.has(p.address.toLowerCase()))
      .map((p) => p.address);
    const unknown = check.addresses.filter((a) => !removed.some((r) => r.toLowerCase() === a));
    if (removed.length) {
      record.participants = record.participants.filter((p) => !gone.has(p.address.toLowerCase()));
      await this.store.saveTicket(record);
    }
    const parts = [
      removed.length ? `removed ${removed.join(', ')} (they get no more mail about this ticket)` : '',
      unknown.length ? `not participants: ${unknown.join(', ')}` : '',
    ].filter(Boolean);
    return {
      ok: removed.length > 0,
      text: removed.length ? parts.join('; ') : `refused: ${parts.join('; ')}`,
    };
  }

  /** `/convert_to_ticket <email>`: a regular issue of a desk repository becomes a ticket. */
  async convertToTicket(
    project: DeskProject,
    repo: string,
    number: number,
    args: string,
  ): Promise<ActionResult> {
    const check = checkAddresses(args, this.c, 1);
    if (!check.ok) return { ok: false, text: `refused: ${check.reason} (give the requester's one address)` };
    const [address] = check.addresses as [string];
    try {
      await this.checkPrivate(repo);
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, text: `refused: ${e.message}` };
      throw e;
    }
    const { ticket, record: existing } = await this.ticketWithRecord(repo, number);
    if (existing) return { ok: false, text: 'refused: this issue is already a service desk ticket' };
    const record: TicketRecord = {
      repo,
      number,
      ...(ticket.nodeId ? { nodeId: ticket.nodeId } : {}),
      title: ticketTitle(ticket.title) || '(no title)',
      project: defaultKey(project),
      participants: [],
      converted: true,
    };
    await this.addParticipant(record, address);
    await this.store.saveTicket(record);
    if (!ticket.labels.includes(SERVICE_DESK_LABEL))
      await this.d.tickets.addLabels(repo, number, [SERVICE_DESK_LABEL]);
    const { sent, failed } = await this.welcome(record, record.participants, ticket);
    return {
      ok: true,
      text: `this issue is now a service desk ticket with requester ${address} (${sent} mailed the new-participant message${failed})`,
      sent,
    };
  }

  /** `/close`: closes the ticket; mails `closed` when the project opted in (once per closing). */
  async closeTicket(project: DeskProject, repo: string, number: number): Promise<ActionResult> {
    const { ticket, record } = await this.ticketWithRecord(repo, number);
    if (!record) return ServiceDesk.NOT_A_TICKET;
    if (ticket.state === 'closed') return { ok: true, text: 'already closed; nothing mailed' };
    const closed = await this.d.tickets.close(repo, number);
    if (!project.closedMail)
      return {
        ok: true,
        text: 'closed (nothing mailed: the project does not mail on close, closedMail is off)',
      };
    const sent = await this.mailClosedOnce(record, closed, closed.closedAt);
    // The `issues` webhook of this very closing may have mailed first (once per closing).
    return {
      ok: true,
      text:
        sent < 0
          ? 'closed; the closed message went out with the closing webhook'
          : `closed; ${sent} mailed the closed message`,
      sent: Math.max(0, sent),
    };
  }

  /** `/reply`: the note to the subscribed participants, with the comment's files (attachments.ts). */
  private async reply(
    repo: string,
    number: number,
    note: string,
  ): Promise<ActionResult & { quiet: boolean }> {
    if (!note)
      return { ok: false, quiet: false, text: 'refused: nothing to send (write the answer after /reply)' };
    const { ticket, record } = await this.ticketWithRecord(repo, number);
    if (!record) return { ...ServiceDesk.NOT_A_TICKET, quiet: false };
    const a = this.c;
    const files = await collectReplyFiles(note, this.d.tickets.uploads, {
      maxBytes: a.maxReplyAttachmentBytes,
      maxTotal: a.maxReplyAttachmentsTotalBytes,
    });
    let text = note;
    if (files.linked.length)
      text += `\n\nFiles not attached:\n${files.linked.map((f) => `- ${f.name} (${f.why}): ${f.url}`).join('\n')}`;
    const sent = await this.mailParticipants('new_note', record, record.participants, ticket, {
      NOTE_TEXT: text,
      files: files.attached,
    });
    const parts = [
      `mailed to ${sent} participant(s)${sent ? '' : ' (every participant unsubscribed, bounced or was removed)'}`,
      files.attached.length ? `attached ${files.attached.map((f) => f.filename).join(', ')}` : '',
      files.linked.length ? `linked ${files.linked.map((f) => `${f.name} (${f.why})`).join(', ')}` : '',
    ].filter(Boolean);
    return {
      ok: sent > 0,
      quiet: sent > 0 && !files.attached.length && !files.linked.length,
      text: parts.join('; '),
      sent,
    };
  }

  /**
   * A hard bounce (Action failed, Status 5.x.x): the original is found by its Message-ID (recorded
   * when it was sent), else by the reply key in its References/Reply-To. Only the participant that
   * original went to can be marked (anyone can send a report; only the mail system that got our
   * mail knows its Message-ID and secret reply key): no mail to that address for 60 days, and a
   * note on the ticket. Delays, soft failures and reports about other mail are only logged.
   */
  private async bounced(mail: ParsedMail, drop: (reason: string) => Outcome): Promise<Outcome> {
    const report = mail.report!;
    const failed = report.recipients.filter((r) => r.action === 'failed' && HARD_STATUS.test(r.status));
    if (!failed.length) return drop('delivery-report-not-permanent');
    const original = await this.originalOf(report.original);
    if (!original) return drop('delivery-report-original-unknown');
    const mine = failed.filter((f) => f.address === original.address || f.original === original.address);
    if (!mine.length) return drop('delivery-report-other-recipient');
    const now = this.d.now();
    const until = now + UNDELIVERABLE_DAYS * DAY_MS;
    const addresses = [original.address];
    await this.store.markUndeliverable(original.address, until, now, mine.map((f) => f.status).join(' '));
    this.d.log.warn('service desk: hard bounce, address gets no mail for 60 days', {
      addresses,
      ticket: `${original.repo}#${original.number}`,
    });
    const record = await this.store.ticket(original.repo, original.number, original.nodeId);
    if (record) {
      for (const p of record.participants) if (addresses.includes(p.address)) p.undeliverableUntil = until;
      await this.store.saveTicket(record);
    }
    const date = new Date(until).toISOString().slice(0, 10);
    const lines = mine.map(
      (f) =>
        `- ${this.who(original.address)}: status ${ticketInline(f.status, 20)}${f.address !== original.address ? ` (delivered on to ${this.who(f.address)})` : ''}; no mail to this address until ${date} (${UNDELIVERABLE_DAYS} days)`,
    );
    await this.d.tickets.addComment(
      original.repo,
      original.number,
      `**Mail to a participant bounced** (delivery status notification, action failed):\n${lines.join('\n')}`,
    );
    return { action: 'bounced', addresses, repo: original.repo, number: original.number };
  }

  private async originalOf(headers: Map<string, string[]> | undefined): Promise<SentRecord | undefined> {
    if (!headers) return undefined;
    const id = normalizeId(headers.get('message-id')?.[0]);
    const sent = id ? await this.store.sent(id) : undefined;
    if (sent) return sent;
    // Our own thread marker or reply address in the returned headers.
    const marker = new RegExp(`<reply-([0-9a-f]{32})@`, 'i');
    const texts = [...(headers.get('references') ?? []), ...(headers.get('in-reply-to') ?? [])];
    const keys = [
      ...texts.flatMap((t) => {
        const m = marker.exec(t);
        return m?.[1] ? [m[1].toLowerCase()] : [];
      }),
      ...(headers.get('reply-to') ?? []).flatMap((t) => keysIn(t, this.c)),
    ];
    for (const key of keys) {
      const rec = /^[0-9a-f]{32}$/.test(key) ? await this.store.replyKey(key) : undefined;
      if (rec) return { ...rec, replyKey: key };
    }
    return undefined;
  }

  /**
   * Mails `name` to each subscribed participant; the template and the project's custom address
   * are looked up once for the batch. Returns how many were mailed.
   */
  private async mailParticipants(
    name: TemplateName,
    record: TicketRecord,
    participants: Participant[],
    ticket: Ticket,
    extra: MailExtra,
  ): Promise<number> {
    const now = this.d.now();
    const candidates = participants.filter((p) => !p.unsubscribed && (p.undeliverableUntil ?? 0) <= now);
    if (!candidates.length) return 0;
    // Tickets record the project by its key; the custom address is kept by project slug.
    const slug = this.c.projects.find((pr) => defaultKey(pr) === record.project)?.slug;
    // Independent reads, at once: who is deliverable, the template, the project's custom address.
    const [bounced, template, custom] = await Promise.all([
      Promise.all(candidates.map((p) => this.store.undeliverable(p.address, now))),
      loadTemplate(this.d.tickets, record.repo, name),
      slug ? this.d.customSender?.forProject(slug) : undefined,
    ]);
    const subscribed = candidates.filter((_, i) => !bounced[i]);
    if (!subscribed.length) return 0;
    for (const p of subscribed) await this.mailParticipant(name, template, record, p, ticket, extra, custom);
    return subscribed.length;
  }

  private async mailParticipant(
    name: TemplateName,
    template: string,
    record: TicketRecord,
    p: Participant,
    ticket: Ticket,
    extra: MailExtra,
    custom: CustomRoute | undefined,
  ): Promise<void> {
    const c = this.c;
    const unsubscribeUrl = `${c.publicUrl}/unsubscribe/${p.replyKey}`;
    const texts = mailTextOf(
      c,
      this.c.projects.find((pr) => defaultKey(pr) === record.project),
    );
    const text = render(template, {
      ISSUE_ID: `#${record.number}`,
      ISSUE_PATH: `${record.repo}#${record.number}`,
      ISSUE_URL: ticket.url,
      // GitLab's meaning: the description. A converted issue's is its own (read now); a ticket
      // made from mail keeps the customer's message (its issue body also has the desk's lines).
      ISSUE_DESCRIPTION: cutAt((record.converted ? ticket.body : record.description) ?? '', MAX_DESCRIPTION),
      UNSUBSCRIBE_URL: unsubscribeUrl,
      NOTE_TEXT: extra.NOTE_TEXT ?? '',
      SYSTEM_HEADER: texts.systemHeader ?? '',
      SYSTEM_FOOTER: texts.systemFooter ?? '',
      ADDITIONAL_TEXT: texts.additionalText ?? '',
    });
    const thread = ticketThread(record, p.replyKey, c.domain);
    const title = thread.title;
    const subject = name === 'new_note' ? `${title} (#${record.number})` : `Re: ${title} (#${record.number})`;
    const mail: OutgoingMail = {
      from: `${c.botName} <${custom?.address ?? `${c.local}@${c.domain}`}>`,
      to: [p.address],
      subject,
      text: `${REPLY_MARKER}\n\n${text}\n`,
      html: await markdownToHtml(`${REPLY_MARKER}\n\n${text}`),
      replyTo: `${c.local}+${p.replyKey}@${c.domain}`,
      headers: {
        ...thread.headers,
        'List-Unsubscribe': `<${unsubscribeUrl}>, <mailto:${c.local}+${p.replyKey}-unsubscribe@${c.domain}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      ...(extra.files?.length ? { attachments: extra.files } : {}),
    };
    if (custom) {
      try {
        await custom.send(mail);
        return;
      } catch (e) {
        // The customer's SMTP server failing must not cost the customer the answer.
        this.d.log.warn('service desk: custom address failed, sent from the desk address instead', {
          project: record.project,
          ticket: `${record.repo}#${record.number}`,
          error: (e as Error).message,
        });
        mail.from = `${c.botName} <${c.local}@${c.domain}>`;
      }
    }
    const sent = await this.d.mailer.send(mail);
    // A bounce names the original by its Message-ID: remember which participant it went to.
    const sentId = normalizeId(sent?.messageId);
    if (sentId)
      await this.store
        .saveSent(sentId, {
          repo: record.repo,
          number: record.number,
          ...(record.nodeId ? { nodeId: record.nodeId } : {}),
          address: p.address,
          replyKey: p.replyKey,
        })
        .catch(() => undefined);
  }
}
