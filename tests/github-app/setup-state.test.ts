import { describe, expect, it } from '@jest/globals';
import { JournalRecordStore } from '../../local/adapters/journal-record-store.js';
import { consumeState, createState, STATE_TTL_MS } from '../../shared/github-app/setup-state.js';

const PREFIX = '/ghes-ops/dev';

describe('manifest flow state (record store)', () => {
  it('is good once even when two redirects use it at the same moment', async () => {
    const records = new JournalRecordStore({ now: () => Date.now() });
    const { state } = await createState(records, PREFIX, Date.now(), 'acme');
    const results = await Promise.all([
      consumeState(records, PREFIX, state, Date.now()),
      consumeState(records, PREFIX, state, Date.now()),
    ]);
    expect(results.filter((r) => r.ok)).toEqual([{ ok: true, org: 'acme' }]);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'unknown' }]);
  });

  it('expires by itself after an hour in the store, and is refused as expired by its own time', async () => {
    let now = 1_795_000_000_000;
    const records = new JournalRecordStore({ now: () => now });
    const a = await createState(records, PREFIX, now);
    const b = await createState(records, PREFIX, now);
    // The store forgets it after the hour (DynamoDB TTL): unknown, nothing left behind.
    now += STATE_TTL_MS + 1000;
    expect(await consumeState(records, PREFIX, a.state, now)).toEqual({ ok: false, reason: 'unknown' });
    // A record still present but past its own expiry (the store's clock lags) is refused as expired.
    const lagging = new JournalRecordStore({ now: () => 1_795_000_000_000 });
    const c = await createState(lagging, PREFIX, 1_795_000_000_000);
    expect(await consumeState(lagging, PREFIX, c.state, now)).toEqual({ ok: false, reason: 'expired' });
    expect(b.expiresAt).toBe(1_795_000_000_000 + STATE_TTL_MS);
  });

  it('refuses a malformed state without touching the store', async () => {
    const records = new JournalRecordStore({ now: () => Date.now() });
    expect(await consumeState(records, PREFIX, '../../etc', Date.now())).toEqual({
      ok: false,
      reason: 'unknown',
    });
  });
});
