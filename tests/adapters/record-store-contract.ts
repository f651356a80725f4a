import { describe, expect, it } from '@jest/globals';
import type { RecordStore } from '../../shared/records/record-store.js';

/** A clock the contract moves by hand (milliseconds, like `Clock.now`). */
export interface ContractClock {
  now: () => number;
  advance(ms: number): void;
}

/**
 * What every RecordStore does, whatever holds the records: run against the local journal store
 * and against the DynamoDB store on an in-memory table. `make` gets the clock the store must use.
 */
export function recordStoreContract(name: string, make: (clock: ContractClock) => RecordStore): void {
  const setup = () => {
    let now = 1_795_000_000_000;
    const clock: ContractClock = { now: () => now, advance: (ms) => void (now += ms) };
    return { clock, store: make(clock) };
  };

  describe(`${name}: the RecordStore contract`, () => {
    it('creates once: a second create of a live record is refused and changes nothing', async () => {
      const { store } = setup();
      expect(await store.create('k', 'a')).toBe(true);
      expect(await store.create('k', 'b')).toBe(false);
      expect(await store.get('k')).toEqual({ value: 'a', version: 1 });
      expect(await store.get('missing')).toBeUndefined();
    });

    it('of 50 concurrent creates of one key exactly one wins, and its value is stored', async () => {
      const { store } = setup();
      const wins = await Promise.all(Array.from({ length: 50 }, (_, i) => store.create('msg', String(i))));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect((await store.get('msg'))?.value).toBe(String(wins.indexOf(true)));
    });

    it('of 200 concurrent increments none is lost: each caller sees its own count', async () => {
      const { store } = setup();
      const counts = await Promise.all(
        Array.from({ length: 200 }, () => store.increment('burst', { ttlSeconds: 60 })),
      );
      expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(await store.increment('burst', { ttlSeconds: 60 })).toBe(201);
      // A counter is not a record.
      expect(await store.get('burst')).toBeUndefined();
    });

    it('keeps the expiry of the first increment: later ones do not extend it', async () => {
      const { store, clock } = setup();
      expect(await store.increment('c', { ttlSeconds: 10 })).toBe(1);
      clock.advance(9_000);
      expect(await store.increment('c', { ttlSeconds: 10 })).toBe(2);
      clock.advance(2_000);
      // Expired: a create may take the key (the desk keys counters by window and never does).
      expect(await store.create('c', 'x')).toBe(true);
    });

    it('honours the ttl by the injected clock: an expired record is absent, cannot be replaced, may be created again', async () => {
      const { store, clock } = setup();
      expect(await store.create('k', 'a', { ttlSeconds: 60 })).toBe(true);
      clock.advance(60_000);
      expect(await store.get('k')).toEqual({ value: 'a', version: 1 });
      clock.advance(1_000);
      expect(await store.get('k')).toBeUndefined();
      expect(await store.replace('k', 'x', 1)).toBe(false);
      expect(await store.create('k', 'b')).toBe(true);
      clock.advance(365 * 24 * 3600_000);
      expect(await store.get('k')).toEqual({ value: 'b', version: 1 });
    });

    it('replaces only at the expected version: of two concurrent takeovers exactly one wins', async () => {
      const { store } = setup();
      await store.create('k', 'pending-old');
      const [a, b] = await Promise.all([store.replace('k', 'a', 1), store.replace('k', 'b', 1)]);
      expect([a, b].filter(Boolean)).toHaveLength(1);
      expect(await store.get('k')).toEqual({ value: a ? 'a' : 'b', version: 2 });
      expect(await store.replace('k', 'late', 1)).toBe(false);
      expect(await store.replace('missing', 'x', 1)).toBe(false);
      expect(await store.get('missing')).toBeUndefined();
    });

    it('replace sets or clears the expiry', async () => {
      const { store, clock } = setup();
      await store.create('k', 'a');
      expect(await store.replace('k', 'b', 1, { ttlSeconds: 5 })).toBe(true);
      clock.advance(6_000);
      expect(await store.get('k')).toBeUndefined();
      await store.create('j', 'a', { ttlSeconds: 5 });
      expect(await store.replace('j', 'b', 1)).toBe(true);
      clock.advance(6_000);
      expect(await store.get('j')).toEqual({ value: 'b', version: 2 });
    });

    it('puts unconditionally, the version growing; a put without ttl keeps the record for ever', async () => {
      const { store, clock } = setup();
      await store.put('t', 'one', { ttlSeconds: 5 });
      expect(await store.get('t')).toEqual({ value: 'one', version: 1 });
      await store.put('t', 'two');
      expect(await store.get('t')).toEqual({ value: 'two', version: 2 });
      clock.advance(10_000);
      expect(await store.get('t')).toEqual({ value: 'two', version: 2 });
      await store.put('u', 'x', { ttlSeconds: 5 });
      clock.advance(6_000);
      expect(await store.get('u')).toBeUndefined();
    });

    it('deletes, and deleting a missing record is not an error', async () => {
      const { store } = setup();
      await store.create('k', 'a');
      await store.delete('k');
      await store.delete('k');
      expect(await store.get('k')).toBeUndefined();
      expect(await store.create('k', 'b')).toBe(true);
    });

    it('takes a record once: of concurrent takes exactly one gets the value', async () => {
      const { store } = setup();
      await store.create('state', 'v', { ttlSeconds: 3600 });
      const taken = await Promise.all(Array.from({ length: 10 }, () => store.take('state')));
      expect(taken.filter((t) => t !== undefined)).toEqual(['v']);
      expect(await store.get('state')).toBeUndefined();
      expect(await store.take('never')).toBeUndefined();
    });

    it('takes nothing from an expired record', async () => {
      const { store, clock } = setup();
      await store.create('state', 'v', { ttlSeconds: 1 });
      clock.advance(2_000);
      expect(await store.take('state')).toBeUndefined();
      expect(await store.create('state', 'w')).toBe(true);
      expect(await store.take('state')).toBe('w');
    });
  });
}
