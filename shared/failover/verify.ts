import { command } from '../appliance/command.js';
import { replStatus } from '../appliance/ghe.js';
import type { Deps } from '../runtime/deps.js';
import { describeProbe, type StatusProbe } from '../http/appliance-http.js';
import { VerificationFailed } from './errors.js';
import { iso } from './names.js';
import { parseReplStatus } from './repl-status.js';
import type { FailoverState } from './state.js';

/**
 * Verification: through the public name users reach, `/status` answers 200 (the new primary), and
 * `ghe-repl-status` on the new primary says it is no longer a replica. A promoted node that does
 * not serve yet and is still in maintenance mode is taken out of it (once, recorded). Polled until
 * `verifyTimeoutMinutes` after the first check.
 */
export interface VerifyCheck {
  state: 'pending' | 'done';
  /**
   * The new primary was still in maintenance mode after its promotion (StartPromotion set it
   * before promoting): `ghe-maintenance -u` was run on it, once, and what it answered.
   */
  maintenanceUnset?: string;
  publicName: string;
  probe: StatusProbe;
  noLongerReplica: boolean;
  replStatus: string;
  startedAt: string;
  polls: number;
  at: string;
}

/** `-q` says set (the sandbox prints `maintenance mode set`; other wordings: enabled, on). */
const MAINTENANCE_SET = /maintenance mode (is )?(set|enabled|on)\b/i;
const MAINTENANCE_NOT_SET = /\b(not set|disabled|off)\b/i;

async function unsetIfInMaintenance(target: string, deps: Pick<Deps, 'runner'>): Promise<string | undefined> {
  try {
    const q = await deps.runner.run(target, command('ghe-maintenance', '-q'), { timeoutSeconds: 60 });
    const said = [q.stdout, q.stderr].filter(Boolean).join(' ').trim();
    if (!MAINTENANCE_SET.test(said) || MAINTENANCE_NOT_SET.test(said)) return undefined;
    const u = await deps.runner.run(target, command('ghe-maintenance', '-u'), { timeoutSeconds: 120 });
    return `ghe-maintenance -q said "${said.slice(0, 100)}"; ghe-maintenance -u: exit ${u.exitCode}`;
  } catch {
    // Unreachable now: the next poll asks again.
    return undefined;
  }
}

function publicName(state: FailoverState): string {
  const t = state.request.traffic;
  return t.kind === 'route53' ? t.recordName : t.kind === 'manual' ? t.hostname : t.publicName;
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
  // Promoted, but not serving: still in maintenance mode? Take it off once (the promotion is
  // confirmed, so this node is the only primary), then the next poll sees /status 200.
  let maintenanceUnset = state.verify?.maintenanceUnset;
  if (noLongerReplica && !maintenanceUnset && !('code' in probe && probe.code === 200))
    maintenanceUnset = await unsetIfInMaintenance(request.replica.target, deps);
  const ok = 'code' in probe && probe.code === 200 && noLongerReplica;
  const check: VerifyCheck = {
    state: ok ? 'done' : 'pending',
    publicName: name,
    probe,
    noLongerReplica,
    replStatus: text.slice(0, 600),
    ...(maintenanceUnset ? { maintenanceUnset } : {}),
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
