import { readFile } from '../appliance/ghe.js';
import type { Deps } from '../runtime/deps.js';
import { describeProbe, type StatusProbe } from '../http/appliance-http.js';
import { PrimaryNotConfirmedDown } from './errors.js';
import { iso } from './names.js';
import { UUID_FILE } from './preflight.js';
import type { FailoverRequest } from './request.js';

/**
 * Unplanned mode: is the primary really down? Two independent observers must agree, so that one
 * broken network path does not trigger a failover (and a split brain): its `/status` endpoint over
 * HTTPS, and the command runner (SSM agent or SSH).
 */
export interface Observers {
  http: { host: string; probe: StatusProbe; down: boolean };
  runner: { target: string; reached: boolean; detail: string; down: boolean };
  confirmedDown: boolean;
  at: string;
}

export async function observePrimary(
  request: FailoverRequest,
  deps: Pick<Deps, 'clock' | 'http' | 'runner'>,
): Promise<Observers> {
  const host = request.primary.host!;
  const probe = await deps.http.status(host);
  // Anything but 200 means the primary does not serve users (503: maintenance or replica mode).
  const httpDown = !('code' in probe) || probe.code !== 200;
  let reached = false;
  let detail: string;
  try {
    const r = await deps.runner.run(request.primary.target, readFile(UUID_FILE), { timeoutSeconds: 30 });
    reached = true;
    detail = `answered (exit code ${r.exitCode})`;
  } catch (error) {
    const e = error as Error;
    detail = `${e.name}: ${e.message.split('\n')[0]}`;
  }
  const observers: Observers = {
    http: { host, probe, down: httpDown },
    runner: { target: request.primary.target, reached, detail, down: !reached },
    confirmedDown: httpDown && !reached,
    at: iso(deps.clock.now()),
  };
  if (!observers.confirmedDown) {
    throw new PrimaryNotConfirmedDown(
      `Unplanned failover refused: the observers do not agree that the primary is down. ` +
        `https://${host}/status: ${describeProbe(probe)} (${httpDown ? 'down' : 'UP'}); runner on ${request.primary.target}: ${detail} (${reached ? 'UP' : 'down'}). ` +
        'Nothing was changed. If the primary answers, use "mode": "planned" (it fences and drains it first).',
      { observers },
    );
  }
  return observers;
}
