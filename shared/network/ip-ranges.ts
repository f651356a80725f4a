/**
 * A published IP ranges document over HTTPS (Atlassian: https://ip-ranges.atlassian.com/).
 * Production and locally the same fetch implementation (shared/network/fetch-ip-ranges.ts);
 * the sandbox serves its document on loopback.
 */
export interface IpRangesDocumentResponse {
  url: string;
  status: number;
  body: string;
}

export interface IpRangesSource {
  /** GET the document; throws IpRangesFetchFailed on network errors, non-200 or oversize bodies. */
  fetch(url: string): Promise<IpRangesDocumentResponse>;
}
