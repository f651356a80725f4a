import type { StatusProbe } from '../http/appliance-http.js';
import type { Deps } from '../runtime/deps.js';

/** One `GET https://<host>/status` from the probe function's network. */
export interface HostProbe {
  host: string;
  result: StatusProbe;
}

export interface ProbeOutput {
  probes: HostProbe[];
}

/**
 * The hosts the deployment calls: the GHES URL's host (`GHES_OPS_GHES_URL`) and the appliance
 * hosts of the failover (`GHES_OPS_PROBE_HOSTS`, comma separated), without duplicates or blanks.
 * They come from the deployed configuration only, never from the event.
 */
export function probeHosts(env: Record<string, string | undefined>): string[] {
  const hosts: string[] = [];
  const url = env.GHES_OPS_GHES_URL?.trim();
  if (url) {
    try {
      hosts.push(new URL(url).host);
    } catch {
      // A malformed ghesUrl is reported as such by the doctor, not probed.
    }
  }
  for (const h of (env.GHES_OPS_PROBE_HOSTS ?? '').split(',')) if (h.trim()) hosts.push(h.trim());
  return [...new Set(hosts)];
}

/** Probes each host; never throws (an unreachable host is `{ unreachable: why }`). */
export async function probeGhes(hosts: string[], deps: Pick<Deps, 'http'>): Promise<ProbeOutput> {
  return {
    probes: await Promise.all(hosts.map(async (host) => ({ host, result: await deps.http.status(host) }))),
  };
}
