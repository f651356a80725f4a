import { createHash } from 'node:crypto';
import { ConfigError, GhesOpsError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Mailer, OutgoingMail } from '../mail/mailer.js';
import type { RecordStore } from '../records/record-store.js';
import type { DeskConfig, DeskProject } from './config.js';
import { defaultKey } from './config.js';
import { filterMail, type Verdicts } from './filter.js';
import { parseMail, type MailAttachment, type ParsedMail } from './parse.js';
import { deliveredTo, routeMail, verifyAddressesIn, type Route } from './route.js';
import { DeskStore, newReplyKey, type Participant, type ReplyKeyRecord, type TicketRecord } from './store.js';
import { stripQuoted, REPLY_MARKER } from './strip.js';
import { loadTemplate, markdownToHtml, render, TEMPLATE_DIR, type TemplateName } from './templates.js';
import type { Ticket, TicketRepository } from './tickets.js';

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
  | { action: 'duplicate'; messageKey: string; result: Record<string, unknown> }
  | { action: 'dropped'; reason: string };

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

export const SERVICE_DESK_LABEL = 'service-desk';
const MAX_PARTICIPANTS = 10;
const MAX_BODY = 60_000;
const LEASE_MS = 5 * 60_000;

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
  private readonly visibility = new Map<string, Promise<string>>();

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
    // A verification mail failing DMARC still reaches the verification, which reports the verdicts.
    if (filtered.drop && !(filtered.reason === 'dmarc-fail' && route.kind === 'verify'))
      return drop(filtered.reason);
    let threaded: ReplyKeyRecord | undefined;
    if ((route.kind === 'none' || route.kind === 'project') && mail.inReplyTo) {
      threaded = await this.store.thread(mail.inReplyTo);
      if (threaded) route = { kind: 'reply', key: '' };
    }
    if (route.kind === 'none') return drop('no-service-desk-key');
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
      if (route.kind === 'verify') {
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
        await this.store.burst(
          ctx.from ?? '',
          this.d.now(),
          this.c.burst.max,
          this.c.burst.windowSeconds * 1000,
        )
      ) {
        outcome = drop('sender-burst-limit');
      } else if (route.kind === 'project') {
        const labels = filtered.drop ? [] : filtered.labels;
        outcome = await this.createTicket(mail, route.project, labels, messageKey, inbound.source);
      } else {
        const rec = threaded ?? (await this.store.replyKey(route.key));
        if (!rec) outcome = drop('unknown-reply-key');
        else outcome = await this.addReply(mail, rec, messageKey, inbound.source);
      }
    } catch (e) {
      await this.store.release(messageKey).catch(() => undefined);
      throw e;
    }
    await this.store.finish(messageKey, { ...outcome });
    await this.afterCommit(outcome, mail);
    return outcome;
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
    let v = this.visibility.get(repo);
    if (!v) {
      v = this.d.tickets.visibility(repo);
      this.visibility.set(repo, v);
      v.catch(() => this.visibility.delete(repo));
    }
    if ((await v) !== 'private')
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

  private async attachmentList(ref: string, mail: ParsedMail): Promise<string[]> {
    const lines: string[] = [];
    for (const a of mail.attachments) {
      let where = a.content ? 'kept with the raw message' : 'not kept (over the limit)';
      if (a.content && this.d.attachments) where = await this.d.attachments.save(ref, a);
      lines.push(`- \`${a.name.replace(/`/g, "'")}\` (${a.size} bytes, ${a.mimeType}): ${where}`);
    }
    return lines;
  }

  private extras(attachments: string[], notes: string[], source?: string): string {
    let s = '';
    if (attachments.length) s += `\n\n**Attachments**\n${attachments.join('\n')}`;
    if (notes.length) s += `\n\n**Notes from the service desk**\n${notes.map((n) => `- ${n}`).join('\n')}`;
    if (source) s += `\n\n<sub>Raw message: ${source}</sub>`;
    return s;
  }

  private async createTicket(
    mail: ParsedMail,
    project: DeskProject,
    labels: string[],
    messageKey: string,
    source?: string,
  ): Promise<Outcome> {
    await this.checkPrivate(project.repo);
    const notes = [...mail.notes];
    const participants = this.participantsOf(mail, notes);
    let text = mail.body;
    if (text.length > MAX_BODY) {
      text = text.slice(0, MAX_BODY);
      notes.push('the text was truncated to fit an issue');
    }
    let template = '';
    if (project.descriptionTemplate) {
      template =
        (await this.d.tickets
          .readFile(project.repo, `${TEMPLATE_DIR}/${project.descriptionTemplate}.md`)
          .catch(() => undefined)) ?? '';
    }
    const head = [
      `**From:** ${participants[0] ?? '(unknown)'} (external, by email)`,
      participants.length > 1 ? `**Participants:** ${participants.slice(1).join(', ')}` : '',
      mail.messageId ? `**Message-ID:** \`${mail.messageId.replace(/`/g, '')}\`` : '',
    ].filter(Boolean);
    const attachments = await this.attachmentList(`${project.repo}/${messageKey}`, mail);
    const body = `${head.join('  \n')}\n\n${text || '_(no text)_'}${template ? `\n\n${template}` : ''}${this.extras(attachments, notes, source)}`;
    const ticket = await this.d.tickets.createIssue(project.repo, {
      title: mail.subject || '(no subject)',
      body,
      labels: [SERVICE_DESK_LABEL, ...labels],
    });
    const record: TicketRecord = {
      repo: project.repo,
      number: ticket.number,
      title: ticket.title,
      project: defaultKey(project),
      participants: participants.map((address) => ({ address, replyKey: newReplyKey() })),
      ...(mail.messageId ? { rootMessageId: mail.messageId } : {}),
    };
    await this.store.saveTicket(record);
    for (const p of record.participants)
      await this.store.saveReplyKey(p.replyKey, {
        repo: record.repo,
        number: record.number,
        address: p.address,
      });
    if (mail.messageId)
      await this.store.saveThread(mail.messageId, {
        repo: record.repo,
        number: record.number,
        address: participants[0] ?? '',
      });
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

  private async addReply(
    mail: ParsedMail,
    rec: ReplyKeyRecord,
    messageKey: string,
    source?: string,
  ): Promise<Outcome> {
    const record = await this.store.ticket(rec.repo, rec.number);
    if (!record) return { action: 'dropped', reason: 'ticket-record-missing' };
    const author = mail.replyTo ?? mail.from ?? rec.address;
    const { text } = stripQuoted(mail.body);
    const notes = [...mail.notes];
    const attachments = await this.attachmentList(`${rec.repo}/${messageKey}`, mail);
    const body = `**${author}** replied by email:\n\n${text.slice(0, MAX_BODY) || '_(no text)_'}${this.extras(attachments, notes, source)}`;
    await this.d.tickets.addComment(rec.repo, rec.number, body);
    const ticket = await this.d.tickets.getIssue(rec.repo, rec.number);
    let reopened = false;
    const project = this.c.projects.find((p) => p.repo === rec.repo);
    if (ticket.state === 'closed' && project?.reopen) {
      await this.d.tickets.reopen(rec.repo, rec.number);
      const who = ticket.assignees.length ? ticket.assignees.map((a) => `@${a}`).join(' ') : 'the team';
      await this.d.tickets.addComment(
        rec.repo,
        rec.number,
        `Reopened: ${author} wrote after the ticket was closed. ${who}, please have a look.`,
      );
      reopened = true;
    }
    // New Cc participants join the ticket (at most 10 in all).
    const known = new Set(record.participants.map((p) => p.address));
    const added: Participant[] = [];
    for (const a of this.participantsOf(mail, [])) {
      if (known.has(a) || record.participants.length >= MAX_PARTICIPANTS) continue;
      const p = { address: a, replyKey: newReplyKey() };
      record.participants.push(p);
      added.push(p);
      known.add(a);
      await this.store.saveReplyKey(p.replyKey, { repo: rec.repo, number: rec.number, address: a });
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
    const record = await this.store.ticket(rec.repo, rec.number);
    const p = record?.participants.find((x) => x.replyKey === replyKey);
    if (record && p && !p.unsubscribed) {
      p.unsubscribed = true;
      await this.store.saveTicket(record);
    }
    this.d.log.info('service desk: participant unsubscribed', { repo: rec.repo, number: rec.number });
    return { action: 'unsubscribed', address: rec.address };
  }

  /** Sends the new-note mail of a team reply to every subscribed participant. */
  async mailNote(repo: string, number: number, note: string): Promise<number> {
    const record = await this.store.ticket(repo, number);
    if (!record) return 0;
    const ticket = await this.d.tickets.getIssue(repo, number);
    return this.mailParticipants('new_note', record, record.participants, ticket, { NOTE_TEXT: note });
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
    extra: { NOTE_TEXT?: string },
  ): Promise<number> {
    const subscribed = participants.filter((p) => !p.unsubscribed);
    if (!subscribed.length) return 0;
    const template = await loadTemplate(this.d.tickets, record.repo, name);
    // Tickets record the project by its key; the custom address is kept by project slug.
    const slug = this.c.projects.find((pr) => defaultKey(pr) === record.project)?.slug;
    const custom = slug ? await this.d.customSender?.forProject(slug) : undefined;
    for (const p of subscribed) await this.mailParticipant(name, template, record, p, ticket, extra, custom);
    return subscribed.length;
  }

  private async mailParticipant(
    name: TemplateName,
    template: string,
    record: TicketRecord,
    p: Participant,
    ticket: Ticket,
    extra: { NOTE_TEXT?: string },
    custom: CustomRoute | undefined,
  ): Promise<void> {
    const c = this.c;
    const unsubscribeUrl = `${c.publicUrl}/unsubscribe/${p.replyKey}`;
    const text = render(template, {
      ISSUE_ID: `#${record.number}`,
      ISSUE_PATH: `${record.repo}#${record.number}`,
      ISSUE_URL: ticket.url,
      ISSUE_DESCRIPTION: record.title,
      UNSUBSCRIBE_URL: unsubscribeUrl,
      NOTE_TEXT: extra.NOTE_TEXT ?? '',
      SYSTEM_HEADER: '',
      SYSTEM_FOOTER: '',
      ADDITIONAL_TEXT: '',
    });
    const title = record.title.replace(/[\r\n\t]+/g, ' ');
    const subject = name === 'new_note' ? `${title} (#${record.number})` : `Re: ${title} (#${record.number})`;
    const marker = `<reply-${p.replyKey}@${c.domain}>`;
    const mail: OutgoingMail = {
      from: `${c.botName} <${custom?.address ?? `${c.local}@${c.domain}`}>`,
      to: [p.address],
      subject,
      text: `${REPLY_MARKER}\n\n${text}\n`,
      html: markdownToHtml(`${REPLY_MARKER}\n\n${text}`),
      replyTo: `${c.local}+${p.replyKey}@${c.domain}`,
      headers: {
        ...(record.rootMessageId ? { 'In-Reply-To': record.rootMessageId } : { 'In-Reply-To': marker }),
        References: record.rootMessageId ? `${record.rootMessageId} ${marker}` : marker,
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
        'List-Unsubscribe': `<${unsubscribeUrl}>, <mailto:${c.local}+${p.replyKey}-unsubscribe@${c.domain}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'X-GHES-Ops-Ticket': `${record.repo}#${record.number}`,
      },
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
    await this.d.mailer.send(mail);
  }
}
