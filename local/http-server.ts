import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpRoute } from './serverless-triggers.js';

/**
 * The local stack's HTTP server on loopback. Two kinds of routes:
 * - the HTTP API of serverless.yml (`httpApi` events, `serveFunctions`): each request becomes an
 *   API Gateway HTTP API payload 2.0 event and goes to the same `functions/*` handler as in AWS;
 *   the result is mapped to the response as API Gateway does;
 * - the local stack's own management API (`route`): what the Step Functions API and console do
 *   in AWS (executions, task tokens) and the sandbox GHES. Handlers get the raw body.
 */
export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  params: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** Text, JSON (an object) or bytes (a Buffer, sent as they are). */
  body?: string | object | Buffer;
}

type Handler = (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

interface FunctionRoute extends HttpRoute {
  pattern: RegExp;
  keys: string[];
}

/** Invokes a function with an event (the local engine's `invokeFunction`); throws when it fails. */
export type FunctionInvoke = (functionKey: string, event: APIGatewayProxyEventV2) => Promise<unknown>;

/** API Gateway HTTP API's payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Content types API Gateway passes as text; every other body arrives base64-encoded (isBase64Encoded). */
const TEXT_TYPE =
  /^(text\/[^;]+|application\/(?:[a-z0-9.+-]+\+)?(?:json|xml)|application\/javascript)\s*(?:;|$)/i;

/** `/a/{b}/c` (or `/a/:b/c`) -> a pattern and its parameter names; `{proxy+}` is greedy. */
function compile(path: string): { pattern: RegExp; keys: string[] } {
  const keys: string[] = [];
  const source = path
    .split('/')
    .map((seg) => {
      const m = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(seg) ?? /^:([A-Za-z0-9_]+)()$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      keys.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), keys };
}

const apiTime = (d: Date): string => {
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    d.getUTCMonth()
  ];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
};

/** The API Gateway HTTP API (payload format 2.0) event of a request to `route`. */
export function httpApiEventOf(
  req: { method: string; url: URL; headers: http.IncomingHttpHeaders; body: Buffer; sourceIp: string },
  route: HttpRoute,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of req.url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const text = TEXT_TYPE.test(headers['content-type'] ?? '');
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey,
    rawPath: req.url.pathname,
    rawQueryString: req.url.search.replace(/^\?/, ''),
    ...(headers.cookie ? { cookies: headers.cookie.split(/;\s*/) } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0]!,
      http: {
        method: req.method,
        path: req.url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: apiTime(now),
      timeEpoch: now.getTime(),
    },
    ...(req.body.length ? { body: text ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
    isBase64Encoded: req.body.length > 0 && !text,
  };
}

/**
 * The response API Gateway makes of a function's result (payload 2.0): a result with `statusCode`
 * is used as given; any other value is a 200 JSON response of that value.
 */
export function httpApiResponse(result: unknown): {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
} {
  const r = result as {
    statusCode?: unknown;
    headers?: Record<string, unknown>;
    body?: unknown;
    isBase64Encoded?: boolean;
    cookies?: string[];
  } | null;
  if (r && typeof r === 'object' && typeof r.statusCode === 'number') {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
    if (r.cookies?.length) headers['set-cookie'] = r.cookies;
    const body = typeof r.body === 'string' ? r.body : '';
    return {
      status: r.statusCode,
      headers,
      body: r.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    };
  }
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(typeof result === 'string' ? result : JSON.stringify(result ?? null)),
  };
}

/** A local route's JSON body (empty: `{}`), or undefined when it is not JSON. */
export function jsonBody<T>(body: string): T | undefined {
  try {
    return (body ? JSON.parse(body) : {}) as T;
  } catch {
    return undefined;
  }
}

export class LocalHttpServer {
  private readonly routes: Route[] = [];
  private readonly functionRoutes: FunctionRoute[] = [];
  private invoke: FunctionInvoke | undefined;
  private onError: ((route: HttpRoute, error: Error) => void) | undefined;
  private server: http.Server | undefined;
  private managementToken: string | undefined;

  /**
   * From now on the local routes that change something (every method but GET, outside /console,
   * which has its own cookie and CSRF check) need `authorization: Bearer <token>`: other users of
   * the machine cannot start, stop or decide executions through the loopback port. The ghes-ops
   * CLI reads the token from `<stateDir>/console-token` and sends it.
   */
  requireToken(token: string): this {
    this.managementToken = token;
    return this;
  }

  private authorized(method: string, pathname: string, header: string | undefined): boolean {
    if (!this.managementToken || method === 'GET' || pathname.startsWith('/console')) return true;
    const want = Buffer.from(`Bearer ${this.managementToken}`);
    const got = Buffer.from(header ?? '');
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** A local route; `path` may hold `:name` or `{name}` segments, e.g. `/executions/:name`. */
  route(method: string, path: string, handler: Handler): this {
    this.routes.push({ method, ...compile(path), handler });
    return this;
  }

  /** Serves serverless.yml's HTTP API routes through their functions. */
  serveFunctions(
    routes: HttpRoute[],
    invoke: FunctionInvoke,
    onError?: (route: HttpRoute, error: Error) => void,
  ): this {
    for (const r of routes) this.functionRoutes.push({ ...r, ...compile(r.path) });
    this.invoke = invoke;
    this.onError = onError;
    return this;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<{ port: number; url: string }> {
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    return { port: actual, url: `http://${host}:${actual}` };
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (r: HttpResponse): void => {
      if (Buffer.isBuffer(r.body)) {
        res.writeHead(r.status, { 'content-type': 'application/octet-stream', ...r.headers });
        res.end(r.body);
        return;
      }
      const isText = typeof r.body === 'string' || r.body === undefined;
      const body = isText ? ((r.body as string | undefined) ?? '') : JSON.stringify(r.body, null, 2) + '\n';
      res.writeHead(r.status, {
        'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
        ...r.headers,
      });
      res.end(body);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES)
          return send({ status: 413, body: { message: 'Request Entity Too Large' } });
        chunks.push(chunk as Buffer);
      }
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      let pathMatched = false;
      for (const route of this.routes) {
        const m = route.pattern.exec(url.pathname);
        if (!m) continue;
        pathMatched = true;
        if (route.method !== method) continue;
        if (!this.authorized(method, url.pathname, req.headers.authorization))
          return send({
            status: 401,
            body: {
              error: 'Unauthorized',
              message:
                "The local stack's management API needs the token in <stateDir>/console-token as `authorization: Bearer <token>` (the ghes-ops CLI of the same configuration sends it).",
            },
          });
        const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1] ?? '')]));
        return send(
          await route.handler({
            method,
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body: body.toString('utf8'),
            params,
          }),
        );
      }
      for (const route of this.functionRoutes) {
        const m = route.pattern.exec(url.pathname);
        if (!m || route.method !== method) continue;
        const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1] ?? '')]));
        const event = httpApiEventOf(
          { method, url, headers: req.headers, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
          route,
          params,
        );
        let result: unknown;
        try {
          result = await this.invoke!(route.functionKey, event);
        } catch (error) {
          // API Gateway answers 500 when the function fails; the error is in the function's log.
          this.onError?.(route, error as Error);
          return send({ status: 500, body: { message: 'Internal Server Error' } });
        }
        const r = httpApiResponse(result);
        res.writeHead(r.status, r.headers);
        res.end(r.body);
        return;
      }
      // API Gateway has no 405: an unmatched method is an unmatched route.
      send(
        pathMatched
          ? { status: 405, body: { error: 'method not allowed' } }
          : { status: 404, body: { message: 'Not Found' } },
      );
    } catch (error) {
      const e = error as Error;
      send({ status: 500, body: { error: e.name, message: e.message } });
    }
  }
}
