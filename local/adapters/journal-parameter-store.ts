import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ParameterAlreadyExists } from '../../shared/errors.js';
import type { ParameterStore, PutOptions } from '../../shared/params/parameter-store.js';

/**
 * A fast local parameter store for high-volume records (the service desk's idempotency and reply
 * keys): a map in memory, each change appended to a JSON-lines journal (mode 0600) that is replayed
 * at start. `put` without overwrite is atomic within the process, like SSM's `Overwrite: false`.
 * Without a path it is memory only (tests, benchmarks).
 */
export class JournalParameterStore implements ParameterStore {
  private readonly map = new Map<string, string>();

  constructor(private readonly path?: string) {
    if (path && existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const e = JSON.parse(line) as { n: string; v?: string };
          if (e.v === undefined) this.map.delete(e.n);
          else this.map.set(e.n, e.v);
        } catch {
          /* a torn last line after a crash */
        }
      }
    } else if (path) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    }
  }

  private log(entry: { n: string; v?: string }): void {
    if (this.path) appendFileSync(this.path, JSON.stringify(entry) + '\n', { mode: 0o600 });
  }

  get(name: string): Promise<string | undefined> {
    return Promise.resolve(this.map.get(name));
  }

  put(name: string, value: string, opts: PutOptions): Promise<void> {
    if (!opts.overwrite && this.map.has(name))
      return Promise.reject(
        new ParameterAlreadyExists(`Parameter ${name} already exists and was not overwritten.`, { name }),
      );
    this.map.set(name, value);
    this.log({ n: name, v: value });
    return Promise.resolve();
  }

  delete(name: string): Promise<void> {
    if (this.map.delete(name)) this.log({ n: name });
    return Promise.resolve();
  }
}
