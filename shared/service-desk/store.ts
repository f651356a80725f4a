import { createHash, randomBytes } from 'node:crypto';
import type { RecordStore } from '../records/record-store.js';

/**
 * The service desk's records, in the record store (DynamoDB in AWS, shared/records/): idempotency
 * claims per Message-ID, reply keys, threads by original Message-ID, ticket participants, burst
 * counters. Exactly-once rests on `claim`: a conditional create, so of two concurrent deliveries of
 * one message exactly one wins; a stale claim is taken over by compare-and-set, so two takeovers
 * cannot both win either (docs/service-desk.md).
 */
export const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 40);
export const newReplyKey = (): string => randomBytes(16).toString('hex');

export interface Participant {
  address: string;
  replyKey: string;
  /** Display name from the mail (decoded; sanitized when shown on the ticket). */
  name?: string;
  unsubscribed?: boolean;
  /** Epoch ms until which mail to this participant is not sent (a hard bounce). */
  undeliverableUntil?: number;
}

export interface TicketRecord {
  repo: string;
  number: number;
  /** The node id (immutable): the record is keyed by it when known. */
  nodeId?: string;
  title: string;
  project: string;
  /** The customer's original Message-ID (threading root). */
  rootMessageId?: string;
  /**
   * `%{ISSUE_DESCRIPTION}`: the customer's message as the ticket was opened (the issue body also
   * carries the desk's own lines: sender, Message-ID, attachment locations).
   */
  description?: string;
  /** Made from a regular issue by `/convert_to_ticket`: its description is the issue's own, read when mailing. */
  converted?: boolean;
  participants: Participant[];
}

export interface ReplyKeyRecord {
  repo: string;
  number: number;
  /** The node id when the ticket was made: a reply only lands on that very issue. */
  nodeId?: string;
  address: string;
}

export type Claim =
  | { state: 'claimed' }
  | { state: 'done'; result: Record<string, unknown> }
  | { state: 'pending'; since: number };

/** How long records live: delivery claims outlast SES's and Lambda's retries by far. */
const DAY = 24 * 3600;
export const RECORD_TTL_SECONDS = { message: 30 * DAY, once: 30 * DAY, sent: 90 * DAY } as const;
/** How long a hard-bounced address gets no mail (as Zammad does). */
export const UNDELIVERABLE_DAYS = 60;

/** An outgoing mail as a bounce finds it again by its Message-ID. */
export interface SentRecord {
  repo: string;
  number: number;
  nodeId?: string;
  address: string;
  replyKey: string;
}

interface MessageRecord {
  state: 'pending' | 'done';
  since?: number;
  result?: Record<string, unknown>;
}

export class DeskStore {
  constructor(
    private readonly records: RecordStore,
    private readonly prefix: string,
  ) {}

  private key(...parts: string[]): string {
    return `${this.prefix}/${parts.join('/')}`;
  }

  private async read<T>(key: string): Promise<T | undefined> {
    const r = await this.records.get(key);
    if (r === undefined) return undefined;
    try {
      return JSON.parse(r.value) as T;
    } catch {
      return undefined;
    }
  }

  private write(key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    return this.records.put(key, JSON.stringify(value), ttlSeconds === undefined ? {} : { ttlSeconds });
  }

  /** Claims a message for processing; a stale pending claim (older than `leaseMs`) is taken over. */
  async claim(messageKey: string, now: number, leaseMs: number): Promise<Claim> {
    const key = this.key('msg', hash(messageKey));
    const pending = JSON.stringify({ state: 'pending', since: now } satisfies MessageRecord);
    const ttl = { ttlSeconds: RECORD_TTL_SECONDS.message };
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.records.create(key, pending, ttl)) return { state: 'claimed' };
      const cur = await this.records.get(key);
      if (!cur) continue; // expired or released in between: try to create again
      let rec: MessageRecord | undefined;
      try {
        rec = JSON.parse(cur.value) as MessageRecord;
      } catch {
        rec = undefined;
      }
      if (rec?.state === 'done') return { state: 'done', result: rec.result ?? {} };
      if (rec && now - (rec.since ?? 0) < leaseMs) return { state: 'pending', since: rec.since ?? 0 };
      // Stale: only the caller whose compare-and-set lands takes it over.
      if (await this.records.replace(key, pending, cur.version, ttl)) return { state: 'claimed' };
      return { state: 'pending', since: now };
    }
    return { state: 'pending', since: now };
  }

  finish(messageKey: string, result: Record<string, unknown>): Promise<void> {
    return this.write(
      this.key('msg', hash(messageKey)),
      { state: 'done', result },
      RECORD_TTL_SECONDS.message,
    );
  }

  release(messageKey: string): Promise<void> {
    return this.records.delete(this.key('msg', hash(messageKey)));
  }

  /**
   * The record of the ticket whose issue has node id `nodeId` (records are keyed by it), else a
   * record kept by name and number from before node ids were recorded, only if it names no other
   * issue. Never the record of another issue that now has the same name and number.
   */
  async ticket(repo: string, number: number, nodeId?: string): Promise<TicketRecord | undefined> {
    if (nodeId) {
      const byId = await this.read<TicketRecord>(this.key('ticket-id', hash(nodeId)));
      if (byId) return byId;
    }
    const legacy = await this.read<TicketRecord>(this.key('ticket', repo.replace('/', '.'), String(number)));
    return legacy && (!legacy.nodeId || legacy.nodeId === nodeId) ? legacy : undefined;
  }

  saveTicket(t: TicketRecord): Promise<void> {
    return t.nodeId
      ? this.write(this.key('ticket-id', hash(t.nodeId)), t)
      : this.write(this.key('ticket', t.repo.replace('/', '.'), String(t.number)), t);
  }

  /** A burst-limited mail released by an operator (`ghes-ops desk replay --held`): ingested once without the limit. */
  releaseHeld(messageKey: string): Promise<void> {
    return this.write(
      this.key('held-release', hash(messageKey)),
      { at: Date.now() },
      RECORD_TTL_SECONDS.message,
    );
  }

  async heldReleased(messageKey: string): Promise<boolean> {
    return (await this.read(this.key('held-release', hash(messageKey)))) !== undefined;
  }

  replyKey(key: string): Promise<ReplyKeyRecord | undefined> {
    return /^[0-9a-f]{32}$/.test(key) ? this.read(this.key('reply', key)) : Promise.resolve(undefined);
  }

  /** Reply keys are 128 random bits: a collision means a bug, so an existing key is never replaced. */
  async saveReplyKey(key: string, r: ReplyKeyRecord): Promise<void> {
    await this.records.create(this.key('reply', key), JSON.stringify(r));
  }

  thread(messageId: string): Promise<ReplyKeyRecord | undefined> {
    return this.read(this.key('thread', hash(messageId)));
  }

  saveThread(messageId: string, r: ReplyKeyRecord): Promise<void> {
    return this.write(this.key('thread', hash(messageId)), r);
  }

  /**
   * Records one mail from `sender` at `now`; true when the sender is over `max` in the window. A
   * fixed window (the counter of window `floor(now / windowMs)`), counted with an atomic
   * increment, so concurrent deliveries never lose a count; a burst that straddles two windows can
   * reach up to twice `max` before it is cut.
   */
  async burst(sender: string, now: number, max: number, windowMs: number): Promise<boolean> {
    const window = Math.floor(now / windowMs);
    const count = await this.records.increment(this.key('burst', hash(sender), String(window)), {
      ttlSeconds: Math.ceil((2 * windowMs) / 1000),
    });
    return count > max;
  }

  /** Remembers the Message-ID of a mail sent to a participant (bounces name it). */
  saveSent(messageId: string, r: SentRecord): Promise<void> {
    return this.write(this.key('sent', hash(messageId.toLowerCase())), r, RECORD_TTL_SECONDS.sent);
  }

  sent(messageId: string): Promise<SentRecord | undefined> {
    return this.read(this.key('sent', hash(messageId.toLowerCase())));
  }

  /** Marks `address` undeliverable until `until` (epoch ms); the record expires then. */
  markUndeliverable(address: string, until: number, now: number, why: string): Promise<void> {
    return this.write(
      this.key('undeliverable', hash(address.toLowerCase())),
      { until, why },
      Math.max(1, Math.ceil((until - now) / 1000)),
    );
  }

  async undeliverable(address: string, now: number): Promise<boolean> {
    const r = await this.read<{ until?: number }>(this.key('undeliverable', hash(address.toLowerCase())));
    return (r?.until ?? 0) > now;
  }

  /** Once-only marker (e.g. a webhook delivery); false when it existed. */
  once(kind: string, id: string, value: unknown = {}): Promise<boolean> {
    return this.records.create(this.key(kind, hash(id)), JSON.stringify(value), {
      ttlSeconds: RECORD_TTL_SECONDS.once,
    });
  }

  forget(kind: string, id: string): Promise<void> {
    return this.records.delete(this.key(kind, hash(id)));
  }

  record(kind: string, id: string, value: unknown): Promise<void> {
    return this.write(this.key(kind, hash(id)), value, RECORD_TTL_SECONDS.once);
  }
}
