/**
 * The destination GHES REST API (`/api/v3`) as the actions-sync workflow reads it: the REST root
 * (token scopes in `X-OAuth-Scopes`), `/user`, organization memberships, `/meta`
 * (`installed_version`) and repository contents (a list file kept in an ops repository). HTTPS with
 * `fetch` in AWS; the sandbox GHES server over loopback locally.
 */
export interface GhesResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  body: unknown;
}

export interface GhesApi {
  /** The configured GHES base URL, e.g. `https://ghes.example.com` (no `/api/v3`). */
  baseUrl(): Promise<string>;
  /**
   * `GET {baseUrl}/api/v3{path}` with `Authorization: token TOKEN` when a token is given. Throws
   * `GhesApiError` only when no HTTP answer came back (DNS, TLS, refused, timeout).
   */
  get(baseUrl: string, path: string, token?: string): Promise<GhesResponse>;
}
