import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalRecordStore } from '../../local/adapters/journal-record-store.js';
import { recordStoreContract } from './record-store-contract.js';

let dir: string;
let now: number;
const clock = { now: () => now };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ghes-ops-records-'));
  now = 1_795_000_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

recordStoreContract('JournalRecordStore in memory', (c) => new JournalRecordStore(c));
recordStoreContract(
  'JournalRecordStore on a journal',
  (c) => new JournalRecordStore(c, join(dir, 'r.jsonl')),
);

describe('JournalRecordStore (the local RecordStore)', () => {
  it('concurrent writes are decided at once and each resolves only once its line is in the journal, in order', async () => {
    const file = join(dir, 'records.jsonl');
    const s = new JournalRecordStore(clock, file);
    const lines = (): string[] => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
    const writes = Array.from({ length: 200 }, (_, i) =>
      s.create(`k${i % 100}`, String(i)).then((created) => {
        // Resolved: its own line (and every earlier one) is on disk.
        if (created) expect(lines().length).toBeGreaterThanOrEqual(i + 1);
        return created;
      }),
    );
    const created = await Promise.all(writes);
    // Exactly one create per key wins, the first one, as with a conditional PutItem.
    expect(created.filter(Boolean)).toHaveLength(100);
    expect(created.slice(0, 100).every(Boolean)).toBe(true);
    expect(lines().map((l) => (JSON.parse(l) as { k: string }).k)).toEqual(
      Array.from({ length: 100 }, (_, i) => `k${i}`),
    );
    const again = new JournalRecordStore(clock, file);
    expect(await again.get('k42')).toEqual({ value: '42', version: 1 });
  });

  it('survives a restart from its journal (mode 0600), including deletes and counters', async () => {
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

  it('ignores a torn last line left by a crash', async () => {
    const file = join(dir, 'records.jsonl');
    await new JournalRecordStore(clock, file).create('a', '1');
    appendFileSync(file, '{"k":"b","e":{"val');
    expect(await new JournalRecordStore(clock, file).get('a')).toEqual({ value: '1', version: 1 });
  });

  it('rewrites a journal of mostly dead lines with the live records on open', async () => {
    const file = join(dir, 'records.jsonl');
    const s = new JournalRecordStore(clock, file);
    for (let i = 0; i < 300; i++) await s.put('hot', String(i));
    for (let i = 0; i < 50; i++) await s.create(`gone-${i}`, 'x', { ttlSeconds: 10 });
    await s.create('kept', 'k', { ttlSeconds: 3600 });
    now += 60_000;
    const again = new JournalRecordStore(clock, file);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await again.get('hot')).toEqual({ value: '299', version: 300 });
    expect(await again.get('kept')).toEqual({ value: 'k', version: 1 });
    expect(await again.get('gone-0')).toBeUndefined();
    // Appends continue on the rewritten journal.
    await again.put('hot', 'after');
    expect(await new JournalRecordStore(clock, file).get('hot')).toEqual({ value: 'after', version: 301 });
  });
});
