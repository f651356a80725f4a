import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalRecordStore } from '../../local/adapters/journal-record-store.js';

let dir: string;
let now: number;
const clock = { now: () => now };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ghes-ops-records-'));
  now = 1_795_000_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('JournalRecordStore (the local RecordStore)', () => {
  it('creates once; a second create of a live record is refused', async () => {
    const s = new JournalRecordStore(clock);
    expect(await s.create('k', 'a')).toBe(true);
    expect(await s.create('k', 'b')).toBe(false);
    expect(await s.get('k')).toEqual({ value: 'a', version: 1 });
  });

  it('of 50 concurrent creates of one key exactly one wins', async () => {
    const s = new JournalRecordStore(clock);
    const wins = await Promise.all(Array.from({ length: 50 }, (_, i) => s.create('msg', String(i))));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('of 200 concurrent increments none is lost', async () => {
    const s = new JournalRecordStore(clock);
    const counts = await Promise.all(
      Array.from({ length: 200 }, () => s.increment('burst', { ttlSeconds: 60 })),
    );
    expect(Math.max(...counts)).toBe(200);
    expect(new Set(counts).size).toBe(200);
  });

  it('expires records by the injected clock: absent to get, free to create again', async () => {
    const s = new JournalRecordStore(clock);
    await s.create('k', 'a', { ttlSeconds: 60 });
    now += 59_000;
    expect(await s.get('k')).toBeDefined();
    now += 2_000;
    expect(await s.get('k')).toBeUndefined();
    expect(await s.replace('k', 'x', 1)).toBe(false);
    expect(await s.create('k', 'b')).toBe(true);
    expect((await s.get('k'))?.value).toBe('b');
  });

  it('replaces only at the expected version, so of two stale takeovers one wins', async () => {
    const s = new JournalRecordStore(clock);
    await s.create('k', 'pending-old');
    const [a, b] = await Promise.all([s.replace('k', 'a', 1), s.replace('k', 'b', 1)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(await s.get('k')).toEqual({ value: a ? 'a' : 'b', version: 2 });
  });

  it('takes a record once: a second take finds nothing', async () => {
    const s = new JournalRecordStore(clock);
    await s.put('state', 'v');
    const taken = await Promise.all([s.take('state'), s.take('state')]);
    expect(taken.sort()).toEqual([undefined, 'v'].sort());
    expect(await s.get('state')).toBeUndefined();
  });

  it('starts a new counter after the window expires', async () => {
    const s = new JournalRecordStore(clock);
    await s.increment('c', { ttlSeconds: 10 });
    expect(await s.increment('c', { ttlSeconds: 10 })).toBe(2);
    now += 11_000;
    // An expired counter is gone for get; the desk keys counters by window, so it never reuses one.
    expect(await s.get('c')).toBeUndefined();
  });

  it('survives a restart from its journal (mode 0600), including deletes', async () => {
    const file = join(dir, 'sub', 'records.jsonl');
    const s = new JournalRecordStore(clock, file);
    await s.create('a', '1');
    await s.put('b', '2');
    await s.put('b', '3');
    await s.delete('a');
    await s.increment('c', { ttlSeconds: 60 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = new JournalRecordStore(clock, file);
    expect(await again.get('a')).toBeUndefined();
    expect(await again.get('b')).toEqual({ value: '3', version: 2 });
    expect(await again.increment('c', { ttlSeconds: 60 })).toBe(2);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(6);
  });
});
