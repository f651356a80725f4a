import { describe, expect, it } from '@jest/globals';
import type { GhesApi, GhesResponse } from '../../shared/ghes/ghes-api.js';
import { readRefs, refsOutcome } from '../../shared/actions-sync/refs.js';

/** A GHES API answering from a table of `path -> response`, recording the paths asked. */
function api(table: Record<string, GhesResponse | Error>): GhesApi & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    baseUrl: async () => 'https://ghes.example.com',
    get: async (_url, path, token) => {
      asked.push(`${path} ${token ? 'with token' : 'anonymous'}`);
      const r = table[path];
      if (r instanceof Error) throw r;
      return r ?? { status: 404, headers: {}, body: { message: 'Not Found' } };
    },
  };
}
const ref = (name: string, sha: string) => ({ ref: name, object: { sha, type: 'commit' } });
const page = (n: number) => `/repos/actions/checkout/git/matching-refs/?per_page=100&page=${n}`;

describe('destination refs (updated or unchanged)', () => {
  it('reads every page of matching-refs with the token; the digest ignores order', async () => {
    const full = Array.from({ length: 100 }, (_, i) => ref(`refs/tags/v${i}`, `${i}`.padStart(40, '0')));
    const a = api({
      [page(1)]: { status: 200, headers: {}, body: full },
      [page(2)]: { status: 200, headers: {}, body: [ref('refs/heads/main', 'a'.repeat(40))] },
    });
    const seen = await readRefs({ ghesApi: a }, 'https://ghes.example.com', 'tok', 'actions/checkout');
    expect(seen).toMatchObject({ state: 'present', refs: 101 });
    expect(a.asked).toEqual([`${page(1)} with token`, `${page(2)} with token`]);
    const b = api({
      [page(1)]: {
        status: 200,
        headers: {},
        body: [ref('refs/heads/main', 'a'.repeat(40)), ...full].slice(0, 100),
      },
      [page(2)]: { status: 200, headers: {}, body: [full[99]] },
    });
    const again = await readRefs({ ghesApi: b }, 'https://ghes.example.com', 'tok', 'actions/checkout');
    expect(again.digest).toBe(seen.digest);
  });

  it('404 is absent, 409 (empty repository) is present with 0 refs, others and network errors unreadable', async () => {
    const get = (r: GhesResponse | Error) =>
      readRefs({ ghesApi: api({ [page(1)]: r }) }, 'https://ghes.example.com', 't', 'actions/checkout');
    expect(await get({ status: 404, headers: {}, body: {} })).toEqual({ state: 'absent' });
    expect(
      await get({ status: 409, headers: {}, body: { message: 'Git Repository is empty.' } }),
    ).toMatchObject({
      state: 'present',
      refs: 0,
    });
    expect(await get({ status: 502, headers: {}, body: undefined })).toEqual({
      state: 'unreadable',
      detail: 'HTTP 502',
    });
    expect(await get(new Error('connect ECONNREFUSED'))).toEqual({
      state: 'unreadable',
      detail: 'connect ECONNREFUSED',
    });
  });

  it('decides the outcome only from what the refs show', () => {
    const present = (digest: string, refs = 2) => ({ state: 'present' as const, refs, digest });
    expect(refsOutcome(present('x'), present('x'))).toEqual({
      outcome: 'unchanged',
      refs: '2 refs unchanged',
    });
    expect(refsOutcome(present('x'), present('y', 3))).toEqual({
      outcome: 'synced',
      refs: 'refs updated (2 before, 3 after)',
    });
    expect(refsOutcome({ state: 'absent' }, present('y'))).toEqual({
      outcome: 'synced',
      refs: 'created (2 refs)',
    });
    expect(refsOutcome({ state: 'unreadable', detail: 'HTTP 502' }, present('y')).refs).toBe(
      'not compared (before: HTTP 502)',
    );
    expect(refsOutcome(undefined, present('y')).refs).toBe('not compared (not read before)');
  });
});
