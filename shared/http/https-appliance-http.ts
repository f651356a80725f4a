import type { ParameterStore } from '../params/parameter-store.js';
import type { ApplianceHttp, DrainCounters, StatusProbe } from './appliance-http.js';

export interface HttpsApplianceHttpOptions {
  params: ParameterStore;
  /** Parameter holding the root site administrator password for the Manage API (SecureString). */
  managePasswordParameter: string;
  /** Per request, milliseconds (default 5,000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * HTTPS to the appliances from Lambda (which must have a network path to them). The Manage API
 * (port 8443) needs the root site administrator password; without the parameter the drain
 * counters are simply not available and the workflow falls back to a fixed drain time.
 */
export class HttpsApplianceHttp implements ApplianceHttp {
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly opts: HttpsApplianceHttpOptions) {
    this.fetch = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  async status(host: string): Promise<StatusProbe> {
    try {
      const res = await this.fetch(`https://${host}/status`, {
        method: 'GET',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.body?.cancel();
      return { code: res.status };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { unreachable: e.cause?.code ?? e.name };
    }
  }

  async drain(host: string): Promise<DrainCounters | undefined> {
    const password = await this.opts.params.get(this.opts.managePasswordParameter);
    if (!password) return undefined;
    try {
      const res = await this.fetch(`https://${host}:8443/manage/v1/maintenance`, {
        headers: {
          authorization: `Basic ${Buffer.from(`api_key:${password}`).toString('base64')}`,
          accept: 'application/json',
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (res.status !== 200) return undefined;
      return drainFromManageApi(await res.json());
    } catch {
      return undefined;
    }
  }
}

/** `connection_services: [{name: "git operations", number: 3}, ...]`, per node or at the top: summed. */
export function drainFromManageApi(body: unknown): DrainCounters | undefined {
  const nodes = Array.isArray(body) ? body : [body];
  const out: DrainCounters = { gitOperations: 0, mysqlQueries: 0, resqueJobs: 0 };
  let seen = false;
  for (const node of nodes) {
    const services = (node as { connection_services?: unknown } | null)?.connection_services;
    if (!Array.isArray(services)) continue;
    for (const s of services as { name?: unknown; number?: unknown }[]) {
      const n = typeof s.number === 'number' ? s.number : Number(s.number);
      if (!Number.isFinite(n) || typeof s.name !== 'string') continue;
      const name = s.name.toLowerCase();
      seen = true;
      if (name.includes('git')) out.gitOperations += n;
      else if (name.includes('mysql')) out.mysqlQueries += n;
      else if (name.includes('resque') || name.includes('aqueduct') || name.includes('job'))
        out.resqueJobs += n;
    }
  }
  return seen ? out : undefined;
}
