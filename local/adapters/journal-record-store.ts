import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import type { RecordStore, RecordWrite, StoredRecord } from '../../shared/records/record-store.js';

interface Entry {
  /** Absent for a counter (`increment`), which `get` and `take` do not see, as in DynamoDB. */
  value?: string;
  /** 0 for a counter: DynamoDB keeps no `ver` on it, so no `replace` can match. */
  version: number;
  count: number;
  /** Epoch seconds, like the DynamoDB `ttl` attribute. */
  expires?: number;
}

/**
 * The local record store: a map in memory, each change appended to a JSON-lines journal (mode
 * 0600) replayed at start; memory only without a path (tests, benchmarks). Every operation
 * decides and mutates the map before its first await, so within the process `create`, `replace`,
 * `take` and `increment` are atomic exactly as DynamoDB's conditional writes are. Expiry follows
 * the injected clock. Opening a journal that holds many more lines than live records rewrites it
 * with the live ones (written to a temporary file, then renamed), so it does not grow for ever.
 * A write resolves once its line is in the journal: the lines of the writes made while the
 * previous append was under way go out together in the next one (group commit), in order, and
 * the event loop never waits for the disk.
 */
export class JournalRecordStore implements RecordStore {
  private readonly map = new Map<string, Entry>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly path?: string,
  ) {
    if (path && existsSync(path)) {
      let lines = 0;
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line) continue;
        lines += 1;
        try {
          const e = JSON.parse(line) as { k: string; e?: Entry };
          if (e.e === undefined) this.map.delete(e.k);
          else this.map.set(e.k, e.e);
        } catch {
          /* a torn last line after a crash */
        }
      }
      for (const key of [...this.map.keys()]) if (!this.live(key)) this.map.delete(key);
      if (lines > 2 * this.map.size + 100) this.compact(path);
    } else if (path) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    }
  }

  /** Rewrites the journal with the live records only; the rename makes it all or nothing. */
  private compact(path: string): void {
    const tmp = `${path}.compact`;
    const lines = [...this.map].map(([k, e]) => JSON.stringify({ k, e }) + '\n');
    writeFileSync(tmp, lines.join(''), { mode: 0o600 });
    renameSync(tmp, path);
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private live(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (e?.expires !== undefined && e.expires < this.nowSeconds()) return undefined;
    return e;
  }

  /** The previous append (never rejects), and the batch of lines waiting for it. */
  private writing: Promise<void> = Promise.resolve();
  private batch: { lines: string[]; done: Promise<void> } | undefined;

  /** Changes the map now (callers decide and mutate before any await); resolves once journaled. */
  private set(key: string, entry: Entry | undefined): Promise<void> {
    if (entry) this.map.set(key, entry);
    else this.map.delete(key);
    if (!this.path) return Promise.resolve();
    const line = JSON.stringify({ k: key, e: entry }) + '\n';
    if (this.batch) {
      this.batch.lines.push(line);
      return this.batch.done;
    }
    const path = this.path;
    const batch: { lines: string[]; done: Promise<void> } = { lines: [line], done: Promise.resolve() };
    batch.done = this.writing.then(async () => {
      // From here on, new lines go to the next batch.
      if (this.batch === batch) this.batch = undefined;
      await appendFile(path, batch.lines.join(''), { mode: 0o600 });
    });
    this.batch = batch;
    this.writing = batch.done.catch(() => undefined);
    return batch.done;
  }

  private expiry(opts?: RecordWrite): number | undefined {
    return opts?.ttlSeconds === undefined ? undefined : this.nowSeconds() + Math.ceil(opts.ttlSeconds);
  }

  private entry(value: string, version: number, opts?: RecordWrite, count = 0): Entry {
    const expires = this.expiry(opts);
    return { value, version, count, ...(expires !== undefined ? { expires } : {}) };
  }

  get(key: string): Promise<StoredRecord | undefined> {
    const e = this.live(key);
    return Promise.resolve(e?.value !== undefined ? { value: e.value, version: e.version } : undefined);
  }

  create(key: string, value: string, opts?: RecordWrite): Promise<boolean> {
    if (this.live(key)) return Promise.resolve(false);
    return this.set(key, this.entry(value, 1, opts)).then(() => true);
  }

  replace(key: string, value: string, expectedVersion: number, opts?: RecordWrite): Promise<boolean> {
    const e = this.live(key);
    if (!e || e.version === 0 || e.version !== expectedVersion) return Promise.resolve(false);
    return this.set(key, this.entry(value, e.version + 1, opts, e.count)).then(() => true);
  }

  put(key: string, value: string, opts?: RecordWrite): Promise<void> {
    // Like UpdateItem: the version (and a counter) carry on from the stored item, expired or not.
    const old = this.map.get(key);
    return this.set(key, this.entry(value, (old?.version ?? 0) + 1, opts, old?.count));
  }

  delete(key: string): Promise<void> {
    return this.map.has(key) ? this.set(key, undefined) : Promise.resolve();
  }

  take(key: string): Promise<string | undefined> {
    const e = this.live(key);
    if (!this.map.has(key)) return Promise.resolve(e?.value);
    return this.set(key, undefined).then(() => e?.value);
  }

  increment(key: string, opts: { ttlSeconds: number }): Promise<number> {
    // Like `ADD #c :one SET #ttl = if_not_exists(#ttl, :ttl)`: an expired item not yet deleted
    // counts on (the desk's counters are keyed by window, so none outlives its window).
    const e = this.map.get(key);
    const next: Entry = { version: 0, count: 0, ...e, expires: e?.expires ?? this.expiry(opts)! };
    next.count += 1;
    return this.set(key, next).then(() => next.count);
  }
}
