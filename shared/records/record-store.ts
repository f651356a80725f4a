import { GhesOpsError } from '../errors.js';

/**
 * Small records with conditional writes and expiry: the service desk's idempotency claims, reply
 * keys, threads and burst counters. DynamoDB in AWS (shared/aws/dynamodb-record-store.ts), a
 * journal file or memory locally (local/adapters/journal-record-store.ts). Unlike SSM Parameter
 * Store (10,000 parameters per region, no expiry), a table grows without limit and forgets
 * expired records by itself.
 */
export interface StoredRecord {
  value: string;
  /** Starts at 1 and grows on every write: the token of `replace`. */
  version: number;
}

export interface RecordWrite {
  /** Seconds until the record expires (absent for ever when not given). */
  ttlSeconds?: number;
}

export interface RecordStore {
  /** The live record (an expired one is absent, even before the table deletes it). */
  get(key: string): Promise<StoredRecord | undefined>;
  /** Atomic create: false when a live record exists (exactly one of concurrent callers wins). */
  create(key: string, value: string, opts?: RecordWrite): Promise<boolean>;
  /** Compare-and-set: writes only when the live record is still at `expectedVersion`. */
  replace(key: string, value: string, expectedVersion: number, opts?: RecordWrite): Promise<boolean>;
  put(key: string, value: string, opts?: RecordWrite): Promise<void>;
  /** Deleting a missing record is not an error. */
  delete(key: string): Promise<void>;
  /** Atomic get-and-delete: the live value, which no other caller can take too. */
  take(key: string): Promise<string | undefined>;
  /**
   * Atomic counter: adds one and returns the new count; the expiry is set by the first call. A
   * counter is not a record (`get` does not see it). Until the table deletes an expired counter it
   * keeps counting on, so key counters by their window (`.../<window index>`) rather than reuse one.
   */
  increment(key: string, opts: { ttlSeconds: number }): Promise<number>;
}

/** The store could not be read or written (not a lost condition): retrying later is safe. */
export class RecordStoreFailed extends GhesOpsError {
  readonly name = 'RecordStoreFailed';
}
