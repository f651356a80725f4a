import http from 'node:http';

/**
 * The local stack's HTTP server on loopback. Routes are added by features (executions now; webhooks
 * and the GitHub App pages later). Each handler gets the raw body, so signature checks see the
 * exact bytes.
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
  body?: string | object;
}

type Handler = (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

export const MAX_BODY_BYTES = 1024 * 1024;

export class LocalHttpServer {
  private readonly routes: Route[] = [];
  private server: http.Server | undefined;

  /** `path` may hold `:name` segments, e.g. `/executions/:name`. */
  route(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const pattern = new RegExp(
      '^' + path.replace(/:([A-Za-z]+)/g, (_m, k: string) => (keys.push(k), '([^/]+)')) + '/?$',
    );
    this.routes.push({ method, pattern, keys, handler });
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
        if (size > MAX_BODY_BYTES) return send({ status: 413, body: { error: 'request body too large' } });
        chunks.push(chunk as Buffer);
      }
      const method = req.method ?? 'GET';
      let pathMatched = false;
      for (const route of this.routes) {
        const m = route.pattern.exec(url.pathname);
        if (!m) continue;
        pathMatched = true;
        if (route.method !== method) continue;
        const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1] ?? '')]));
        return send(
          await route.handler({
            method,
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            params,
          }),
        );
      }
      send(
        pathMatched
          ? { status: 405, body: { error: 'method not allowed' } }
          : { status: 404, body: { error: `no route for ${method} ${url.pathname}` } },
      );
    } catch (error) {
      const e = error as Error;
      send({ status: 500, body: { error: e.name, message: e.message } });
    }
  }
}
