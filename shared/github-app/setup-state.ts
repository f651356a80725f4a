import { randomBytes } from 'node:crypto';
import type { ParameterStore } from '../params/parameter-store.js';

/**
 * The `state` of the manifest flow: 32 random bytes, kept one hour in the parameter store
 * (`<prefix>/github-app/setup-states/<state>`) and deleted on first use, so a state is good once.
 * GitHub requires the three steps within one hour, so a state older than that is refused too.
 */
export const STATE_TTL_MS = 60 * 60 * 1000;
const STATE_RE = /^[A-Za-z0-9_-]{43}$/;

interface StoredState {
  createdAt: number;
  expiresAt: number;
  org?: string;
}

export const statesPath = (prefix: string): string => `${prefix.replace(/\/$/, '')}/github-app/setup-states`;

export async function createState(
  params: ParameterStore,
  prefix: string,
  now: number,
  org?: string,
): Promise<{ state: string; expiresAt: number }> {
  const state = randomBytes(32).toString('base64url');
  const record: StoredState = { createdAt: now, expiresAt: now + STATE_TTL_MS, ...(org ? { org } : {}) };
  await params.put(`${statesPath(prefix)}/${state}`, JSON.stringify(record), {
    secure: true,
    overwrite: false,
  });
  return { state, expiresAt: record.expiresAt };
}

export type StateCheck = { ok: true; org?: string } | { ok: false; reason: 'unknown' | 'expired' };

/** Consumes a state: unknown or already used -> `unknown`; older than an hour -> `expired`. */
export async function consumeState(
  params: ParameterStore,
  prefix: string,
  state: string,
  now: number,
): Promise<StateCheck> {
  if (!STATE_RE.test(state)) return { ok: false, reason: 'unknown' };
  const name = `${statesPath(prefix)}/${state}`;
  const raw = await params.get(name);
  if (raw === undefined) return { ok: false, reason: 'unknown' };
  await params.delete(name); // one-time, whatever follows
  let record: StoredState;
  try {
    record = JSON.parse(raw) as StoredState;
  } catch {
    return { ok: false, reason: 'unknown' };
  }
  if (!(record.expiresAt > now)) return { ok: false, reason: 'expired' };
  return { ok: true, ...(record.org ? { org: record.org } : {}) };
}
