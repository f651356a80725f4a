import { replStatus } from '../appliance/ghe.js';
import type { Deps } from '../runtime/deps.js';
import { describeProbe, type StatusProbe } from '../http/appliance-http.js';
import { VerificationFailed } from './errors.js';
import { iso } from './names.js';
import { parseReplStatus } from './repl-status.js';
import type { FailoverState } from './state.js';

/**
 * Verification: through the public name users reach, `/status` answers 200 (the new primary), and
 * `ghe-repl-status` on the new primary says it is no longer a replica. Polled until
 * `verifyTimeoutMinutes` after the first check.
 */
export interface VerifyCheck {
  state: 'pending' | 'done';
  publicName: string;
  probe: StatusProbe;
  noLongerReplica: boolean;
  replStatus: string;
  startedAt: string;
  polls: number;
  at: string;
}

function publicName(state: FailoverState): string {
  const t = state.request.traffic;
  return t.kind === 'route53' ? t.recordName : t.publicName;
}

export async function verifyFailover(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'http' | 'runner'>,
): Promise<VerifyCheck> {
  const { request } = state;
  const now = deps.clock.now();
  const startedAt = state.verify?.startedAt ?? iso(now);
  const name = publicName(state);
  const probe = await deps.http.status(name);
  let noLongerReplica = false;
  let text: string;
  try {
    const r = await deps.runner.run(request.replica.target, replStatus(0), { timeoutSeconds: 60 });
    text = [r.stdout, r.stderr].filter(Boolean).join('\n').trim();
    const parsed = parseReplStatus(text);
    noLongerReplica = parsed.notAReplica || (r.exitCode !== 0 && parsed.channels.length === 0);
  } catch (error) {
    text = `${(error as Error).name}: ${(error as Error).message.split('\n')[0]}`;
  }
  const ok = 'code' in probe && probe.code === 200 && noLongerReplica;
  const check: VerifyCheck = {
    state: ok ? 'done' : 'pending',
    publicName: name,
    probe,
    noLongerReplica,
    replStatus: text.slice(0, 600),
    startedAt,
    polls: (state.verify?.polls ?? 0) + 1,
    at: iso(now),
  };
  if (!ok && now - Date.parse(startedAt) > request.verifyTimeoutMinutes * 60_000) {
    throw new VerificationFailed(
      `Traffic was switched to ${request.replica.target}, but after ${request.verifyTimeoutMinutes} minutes https://${name}/status answers ${describeProbe(probe)} ` +
        `and ghe-repl-status on it ${noLongerReplica ? 'confirms it is no longer a replica' : `does not show it as a primary: ${check.replStatus.split('\n')[0]}`}. ` +
        'Users may not reach GHES. Check the new primary (`ghe-maintenance -q`, services) and the DNS/load balancer by hand.',
      { verify: check },
    );
  }
  return check;
}
