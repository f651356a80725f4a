import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import type { RecordStore, RecordWrite, StoredRecord } from '../../shared/records/record-store.js';

interface Entry {
  value: string;
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
 * the injected clock (the local world's scaled clock).
 */
export class JournalRecordStore implements RecordStore {
  private readonly map = new Map<string, Entry>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly path?: string,
  ) {
    if (path && existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const e = JSON.parse(line) as { k: string; e?: Entry };
          if (e.e === undefined) this.map.delete(e.k);
          else this.map.set(e.k, e.e);
        } catch {
          /* a torn last line after a crash */
        }
      }
    } else if (path) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private live(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (e?.expires !== undefined && e.expires < this.nowSeconds()) return undefined;
    return e;
  }

  private set(key: string, entry: Entry | undefined): void {
    if (entry) this.map.set(key, entry);
    else this.map.delete(key);
    if (this.path) appendFileSync(this.path, JSON.stringify({ k: key, e: entry }) + '\n', { mode: 0o600 });
  }

  private expiry(opts?: RecordWrite): number | undefined {
    return opts?.ttlSeconds === undefined ? undefined : this.nowSeconds() + Math.ceil(opts.ttlSeconds);
  }

  private entry(value: string, version: number, opts?: RecordWrite): Entry {
    const expires = this.expiry(opts);
    return { value, version, count: 0, ...(expires !== undefined ? { expires } : {}) };
  }

  get(key: string): Promise<StoredRecord | undefined> {
    const e = this.live(key);
    return Promise.resolve(e ? { value: e.value, version: e.version } : undefined);
  }

  create(key: string, value: string, opts?: RecordWrite): Promise<boolean> {
    if (this.live(key)) return Promise.resolve(false);
    this.set(key, this.entry(value, 1, opts));
    return Promise.resolve(true);
  }

  replace(key: string, value: string, expectedVersion: number, opts?: RecordWrite): Promise<boolean> {
    const e = this.live(key);
    if (!e || e.version !== expectedVersion) return Promise.resolve(false);
    this.set(key, this.entry(value, e.version + 1, opts));
    return Promise.resolve(true);
  }

  put(key: string, value: string, opts?: RecordWrite): Promise<void> {
    // Like UpdateItem: the version grows from the stored item, expired or not.
    this.set(key, this.entry(value, (this.map.get(key)?.version ?? 0) + 1, opts));
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    if (this.map.has(key)) this.set(key, undefined);
    return Promise.resolve();
  }

  take(key: string): Promise<string | undefined> {
    const e = this.live(key);
    if (this.map.has(key)) this.set(key, undefined);
    return Promise.resolve(e?.value);
  }

  increment(key: string, opts: { ttlSeconds: number }): Promise<number> {
    const e = this.map.get(key);
    const next: Entry = e
      ? { ...e, count: e.count + 1 }
      : { value: '', version: 1, count: 1, expires: this.expiry(opts)! };
    this.set(key, next);
    return Promise.resolve(next.count);
  }
}
