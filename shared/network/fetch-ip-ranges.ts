import { IpRangesFetchFailed } from '../runbook/errors.js';
import { MAX_DOCUMENT_BYTES } from '../jira-prefix-list/ranges.js';
import type { IpRangesDocumentResponse, IpRangesSource } from './ip-ranges.js';

/** GET over HTTPS with global fetch: a time limit, no redirects to elsewhere, a size cap. */
export class FetchIpRanges implements IpRangesSource {
  constructor(private readonly opts: { timeoutMs?: number; fetchImpl?: typeof fetch } = {}) {}

  async fetch(url: string): Promise<IpRangesDocumentResponse> {
    const doFetch = this.opts.fetchImpl ?? fetch;
    let res: Response;
    try {
      res = await doFetch(url, {
        headers: { accept: 'application/json', 'user-agent': 'ghes-ops (jira-prefix-list)' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      throw new IpRangesFetchFailed(
        `Fetching ${url} failed: ${e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.message)}. ` +
          'Check outbound HTTPS from the function (NAT gateway, proxy allow-list); the prefix list was not touched.',
        { url },
      );
    }
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > MAX_DOCUMENT_BYTES) {
      await res.body?.cancel();
      throw new IpRangesFetchFailed(
        `${url} answered with ${length} bytes, more than ${MAX_DOCUMENT_BYTES}; refused.`,
        { url },
      );
    }
    const body = await res.text();
    if (res.status !== 200)
      throw new IpRangesFetchFailed(
        `${url} answered HTTP ${res.status}${body ? `: ${body.slice(0, 200).replace(/\s+/g, ' ')}` : ''}. Try again later; the prefix list was not touched.`,
        { url, status: res.status },
      );
    return { url, status: res.status, body };
  }
}
