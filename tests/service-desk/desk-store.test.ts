import { describe, expect, it } from '@jest/globals';
import { JournalRecordStore } from '../../local/adapters/journal-record-store.js';
import { DeskStore } from '../../shared/service-desk/store.js';

const T0 = 1_795_000_000_000;
const LEASE = 5 * 60_000;
const desk = (now = { t: T0 }) =>
  new DeskStore(new JournalRecordStore({ now: () => now.t }), '/ghes-ops/service-desk');

describe('DeskStore on the record store', () => {
  it('of 20 concurrent deliveries of one message exactly one claims it; after finish all see done', async () => {
    const store = desk();
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => store.claim('<m1@example.com>', T0, LEASE)),
    );
    expect(claims.filter((c) => c.state === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c.state === 'pending')).toHaveLength(19);
    await store.finish('<m1@example.com>', { action: 'created', number: 7 });
    expect(await store.claim('<m1@example.com>', T0 + 1, LEASE)).toEqual({
      state: 'done',
      result: { action: 'created', number: 7 },
    });
  });

  it('a stale claim is taken over by exactly one of two concurrent retries', async () => {
    const store = desk();
    expect(await store.claim('<m2@example.com>', T0, LEASE)).toEqual({ state: 'claimed' });
    expect(await store.claim('<m2@example.com>', T0 + LEASE - 1, LEASE)).toEqual({
      state: 'pending',
      since: T0,
    });
    const later = T0 + LEASE + 1;
    const retries = await Promise.all([
      store.claim('<m2@example.com>', later, LEASE),
      store.claim('<m2@example.com>', later, LEASE),
    ]);
    expect(retries.map((c) => c.state).sort()).toEqual(['claimed', 'pending']);
  });

  it('a released claim can be claimed again (the failed delivery is retried)', async () => {
    const store = desk();
    await store.claim('<m3@example.com>', T0, LEASE);
    await store.release('<m3@example.com>');
    expect(await store.claim('<m3@example.com>', T0 + 1, LEASE)).toEqual({ state: 'claimed' });
  });

  it('claims expire after 30 days, so the table does not grow for ever', async () => {
    const clock = { t: T0 };
    const store = desk(clock);
    await store.claim('<m4@example.com>', T0, LEASE);
    await store.finish('<m4@example.com>', { action: 'created' });
    clock.t = T0 + 31 * 24 * 3600_000;
    expect(await store.claim('<m4@example.com>', clock.t, LEASE)).toEqual({ state: 'claimed' });
  });

  it('burst limit: of 30 concurrent mails from one sender exactly 20 are over max 10', async () => {
    const store = desk();
    const over = await Promise.all(
      Array.from({ length: 30 }, () => store.burst('spammer@example.com', T0, 10, 300_000)),
    );
    expect(over.filter(Boolean)).toHaveLength(20);
    // Another sender is counted apart; the next window starts again from zero.
    expect(await store.burst('someone@example.com', T0, 10, 300_000)).toBe(false);
    const nextWindow = (Math.floor(T0 / 300_000) + 1) * 300_000;
    expect(await store.burst('spammer@example.com', nextWindow, 10, 300_000)).toBe(false);
  });

  it('once-markers: of concurrent webhook deliveries one proceeds; forget allows a retry', async () => {
    const store = desk();
    const firsts = await Promise.all(Array.from({ length: 5 }, () => store.once('note', 'acme/t#1#99')));
    expect(firsts.filter(Boolean)).toHaveLength(1);
    await store.forget('note', 'acme/t#1#99');
    expect(await store.once('note', 'acme/t#1#99')).toBe(true);
  });

  it('keeps reply keys, threads and tickets without expiry; a reply key is never overwritten', async () => {
    const clock = { t: T0 };
    const store = desk(clock);
    const key = 'a'.repeat(32);
    await store.saveReplyKey(key, { repo: 'acme/t', number: 1, address: 'c@example.com' });
    await store.saveReplyKey(key, { repo: 'acme/t', number: 2, address: 'x@example.com' });
    await store.saveThread('<root@example.com>', { repo: 'acme/t', number: 1, address: 'c@example.com' });
    clock.t = T0 + 5 * 365 * 24 * 3600_000;
    expect(await store.replyKey(key)).toEqual({ repo: 'acme/t', number: 1, address: 'c@example.com' });
    expect(await store.thread('<root@example.com>')).toEqual({
      repo: 'acme/t',
      number: 1,
      address: 'c@example.com',
    });
    expect(await store.replyKey('not-a-key')).toBeUndefined();
  });
});
