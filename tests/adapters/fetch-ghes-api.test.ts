import { describe, expect, it, jest } from '@jest/globals';
import { FetchGhesApi } from '../../shared/ghes/fetch-ghes-api.js';
import { GhesApiError } from '../../shared/actions-sync/errors.js';

describe('FetchGhesApi', () => {
  it('sends GET {base}/api/v3{path} with the token in the Authorization header only', async () => {
    const fetch = jest.fn(
      async () => new Response('{"a":1}', { status: 200, headers: { 'X-OAuth-Scopes': 'repo, workflow' } }),
    );
    const api = new FetchGhesApi({ baseUrl: 'https://ghes.example.com/', fetch: fetch });
    expect(await api.baseUrl()).toBe('https://ghes.example.com');
    const res = await api.get('https://ghes.example.com', '/orgs/actions/memberships/octocat', 'ghp_secret');
    expect(res).toEqual({
      status: 200,
      headers: expect.objectContaining({ 'x-oauth-scopes': 'repo, workflow' }),
      body: { a: 1 },
    });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('https://ghes.example.com/api/v3/orgs/actions/memberships/octocat');
    expect(init.method).toBe('GET');
    expect(init.headers).toEqual({
      accept: 'application/vnd.github+json',
      'user-agent': 'ghes-ops',
      authorization: 'token ghp_secret',
    });
  });

  it('throws GhesApiError without the token when nothing answers', async () => {
    const fetch = jest.fn(async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    });
    const api = new FetchGhesApi({ baseUrl: 'https://ghes.example.com', fetch: fetch });
    const error = (await api
      .get('https://ghes.example.com', '', 'ghp_secret')
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(GhesApiError);
    expect(error.message).toMatch(/GET https:\/\/ghes\.example\.com\/api\/v3 got no answer \(ECONNREFUSED\)/);
    expect(error.message).not.toContain('ghp_secret');
  });
});
