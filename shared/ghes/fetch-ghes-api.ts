import { GhesApiError } from '../actions-sync/errors.js';
import type { GhesApi, GhesResponse } from './ghes-api.js';

export interface FetchGhesApiOptions {
  /** The default base URL, or a function resolving it (the local sandbox server starts asynchronously). */
  baseUrl: string | (() => Promise<string>);
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

/** `GhesApi` over `fetch`. The token goes in the Authorization header only, never in a URL or a message. */
export class FetchGhesApi implements GhesApi {
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly timeoutMs: number;

  constructor(private readonly opts: FetchGhesApiOptions) {
    this.fetchImpl = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  async baseUrl(): Promise<string> {
    const url = typeof this.opts.baseUrl === 'string' ? this.opts.baseUrl : await this.opts.baseUrl();
    return url.replace(/\/+$/, '');
  }

  async get(baseUrl: string, path: string, token?: string): Promise<GhesResponse> {
    const url = `${baseUrl.replace(/\/+$/, '')}/api/v3${path}`;
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'user-agent': 'ghes-ops',
    };
    if (token) headers.authorization = `token ${token}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: 'GET',
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new GhesApiError(
        `GET ${url} got no answer (${cause}). Check the destination URL and that this function can reach GHES over HTTPS (VPC, security group).`,
        { url },
      );
    }
    const out: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, headers: out, body };
  }
}
