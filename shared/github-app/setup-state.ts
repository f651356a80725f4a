import { nodeCrypto } from '../runtime/builtins.js';
import type { RecordStore } from '../records/record-store.js';

/**
 * The `state` of the manifest flow: 32 random bytes, kept one hour in the record store
 * (`<prefix>/github-app/setup-states/<state>`, DynamoDB in AWS, expiring by itself) and taken
 * atomically on first use, so a state is good once even when two redirects race. GitHub requires
 * the three steps within one hour, so a state older than that is refused too.
 */
export const STATE_TTL_MS = 60 * 60 * 1000;
const STATE_RE = /^[A-Za-z0-9_-]{43}$/;

interface StoredState {
  createdAt: number;
  expiresAt: number;
  org?: string;
}

const statesPath = (prefix: string): string => `${prefix.replace(/\/$/, '')}/github-app/setup-states`;

export async function createState(
  records: RecordStore,
  prefix: string,
  now: number,
  org?: string,
): Promise<{ state: string; expiresAt: number }> {
  const state = nodeCrypto().randomBytes(32).toString('base64url');
  const record: StoredState = { createdAt: now, expiresAt: now + STATE_TTL_MS, ...(org ? { org } : {}) };
  await records.create(`${statesPath(prefix)}/${state}`, JSON.stringify(record), {
    ttlSeconds: STATE_TTL_MS / 1000,
  });
  return { state, expiresAt: record.expiresAt };
}

export type StateCheck = { ok: true; org?: string } | { ok: false; reason: 'unknown' | 'expired' };

/** Consumes a state: unknown or already used -> `unknown`; older than an hour -> `expired`. */
export async function consumeState(
  records: RecordStore,
  prefix: string,
  state: string,
  now: number,
): Promise<StateCheck> {
  if (!STATE_RE.test(state)) return { ok: false, reason: 'unknown' };
  const name = `${statesPath(prefix)}/${state}`;
  const raw = await records.take(name); // one-time, whatever follows; atomic against a racing use
  if (raw === undefined) return { ok: false, reason: 'unknown' };
  let record: StoredState;
  try {
    record = JSON.parse(raw) as StoredState;
  } catch {
    return { ok: false, reason: 'unknown' };
  }
  if (!(record.expiresAt > now)) return { ok: false, reason: 'expired' };
  return { ok: true, ...(record.org ? { org: record.org } : {}) };
}
