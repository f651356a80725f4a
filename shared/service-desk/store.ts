import { createHash, randomBytes } from 'node:crypto';
import { ParameterAlreadyExists } from '../errors.js';
import type { ParameterStore } from '../params/parameter-store.js';

/**
 * The service desk's records, in the parameter store (SSM in AWS): idempotency claims per
 * Message-ID, reply keys, threads by original Message-ID, ticket participants, burst counters.
 * Exactly-once rests on `claim`: SSM `PutParameter` with `Overwrite: false` is an atomic create,
 * so of two concurrent deliveries of one message exactly one wins (docs/service-desk.md).
 */
export const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 40);
export const newReplyKey = (): string => randomBytes(16).toString('hex');

export interface Participant {
  address: string;
  replyKey: string;
  unsubscribed?: boolean;
}

export interface TicketRecord {
  repo: string;
  number: number;
  title: string;
  project: string;
  /** The customer's original Message-ID (threading root). */
  rootMessageId?: string;
  participants: Participant[];
}

export interface ReplyKeyRecord {
  repo: string;
  number: number;
  address: string;
}

export type Claim =
  | { state: 'claimed' }
  | { state: 'done'; result: Record<string, unknown> }
  | { state: 'pending'; since: number };

export class DeskStore {
  constructor(
    private readonly params: ParameterStore,
    private readonly prefix: string,
  ) {}

  private name(...parts: string[]): string {
    return `${this.prefix}/${parts.join('/')}`;
  }

  private async read<T>(name: string): Promise<T | undefined> {
    const v = await this.params.get(name);
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v) as T;
    } catch {
      return undefined;
    }
  }

  private write(name: string, value: unknown, overwrite = true): Promise<void> {
    return this.params.put(name, JSON.stringify(value), { secure: false, overwrite });
  }

  /** Claims a message for processing; a stale pending claim (older than `leaseMs`) is taken over. */
  async claim(messageKey: string, now: number, leaseMs: number): Promise<Claim> {
    const name = this.name('msg', hash(messageKey));
    try {
      await this.write(name, { state: 'pending', since: now }, false);
      return { state: 'claimed' };
    } catch (e) {
      if (!(e instanceof ParameterAlreadyExists)) throw e;
    }
    const cur = await this.read<{ state: string; since?: number; result?: Record<string, unknown> }>(name);
    if (cur?.state === 'done') return { state: 'done', result: cur.result ?? {} };
    if (cur && now - (cur.since ?? 0) < leaseMs) return { state: 'pending', since: cur.since ?? 0 };
    await this.write(name, { state: 'pending', since: now });
    return { state: 'claimed' };
  }

  finish(messageKey: string, result: Record<string, unknown>): Promise<void> {
    return this.write(this.name('msg', hash(messageKey)), { state: 'done', result });
  }

  release(messageKey: string): Promise<void> {
    return this.params.delete(this.name('msg', hash(messageKey)));
  }

  ticket(repo: string, number: number): Promise<TicketRecord | undefined> {
    return this.read(this.name('ticket', repo.replace('/', '.'), String(number)));
  }

  saveTicket(t: TicketRecord): Promise<void> {
    return this.write(this.name('ticket', t.repo.replace('/', '.'), String(t.number)), t);
  }

  replyKey(key: string): Promise<ReplyKeyRecord | undefined> {
    return /^[0-9a-f]{32}$/.test(key) ? this.read(this.name('reply', key)) : Promise.resolve(undefined);
  }

  saveReplyKey(key: string, r: ReplyKeyRecord): Promise<void> {
    return this.write(this.name('reply', key), r, false);
  }

  thread(messageId: string): Promise<ReplyKeyRecord | undefined> {
    return this.read(this.name('thread', hash(messageId)));
  }

  saveThread(messageId: string, r: ReplyKeyRecord): Promise<void> {
    return this.write(this.name('thread', hash(messageId)), r);
  }

  /** Records one mail from `sender` at `now`; true when the sender is over `max` in the window. */
  async burst(sender: string, now: number, max: number, windowMs: number): Promise<boolean> {
    const name = this.name('burst', hash(sender));
    const times = ((await this.read<number[]>(name)) ?? []).filter((t) => now - t < windowMs);
    times.push(now);
    await this.write(name, times.slice(-(max + 1)));
    return times.length > max;
  }

  /** Once-only marker (e.g. a webhook delivery); false when it existed. */
  async once(kind: string, id: string, value: unknown = {}): Promise<boolean> {
    try {
      await this.write(this.name(kind, hash(id)), value, false);
      return true;
    } catch (e) {
      if (e instanceof ParameterAlreadyExists) return false;
      throw e;
    }
  }

  forget(kind: string, id: string): Promise<void> {
    return this.params.delete(this.name(kind, hash(id)));
  }

  record(kind: string, id: string, value: unknown): Promise<void> {
    return this.write(this.name(kind, hash(id)), value);
  }
}
