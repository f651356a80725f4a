import { readFile, replStatus } from '../appliance/ghe.js';
import { renderShell } from '../appliance/command.js';
import type { Deps } from '../runtime/deps.js';
import { outputTail } from '../support-bundle/output.js';
import { PrimaryUnreachable, ReplicationNotHealthy } from './errors.js';
import { iso } from './names.js';
import { proveTrafficTarget, type TrafficProof } from './traffic-check.js';
import { readGhesVersion, type GhesVersion } from './version.js';
import {
  describeAccepted,
  describeProblems,
  judgeReplication,
  parseReplStatus,
  type ReplicationVerdict,
} from './repl-status.js';
import type { FailoverRequest } from './request.js';

export const UUID_FILE = '/data/user/common/uuid';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ChannelSeen {
  name: string;
  status: string;
  line: string;
  lagSeconds?: number;
}

/** What preflight saw on the replica (recorded for the audit trail and the approval email). */
export interface Preflight {
  command: string;
  exitCode: number;
  channels: ChannelSeen[];
  verdict: ReplicationVerdict;
  output: string;
  /** Replication was unhealthy but `force` was given: its reason. */
  forced?: string;
  /** WARNING channels within the lag limit that passed, said so. */
  accepted?: string;
  /** The traffic target as read before anything changed (see traffic-check.ts). */
  traffic: TrafficProof;
  /** The replica's GHES release (`ghe-version`), which picks the teardown command. */
  replicaVersion?: GhesVersion;
  /** The old primary's node UUID, when it answered (for teardown after the failover). */
  oldPrimaryUuid?: string;
  at: string;
}

/**
 * Every check before anything irreversible, read-only, in this order: the traffic target
 * SwitchTraffic will change (traffic-check.ts, no appliance touched), `ghe-repl-status -vv` on the
 * replica (every channel parsed, the health gate), and the primary (planned: it must answer, or it cannot be fenced and
 * drained; its UUID is kept for the teardown).
 */
export async function preflight(
  request: FailoverRequest,
  deps: Pick<Deps, 'clock' | 'dns' | 'http' | 'loadBalancer' | 'log' | 'runner'>,
): Promise<Preflight> {
  // First, without touching an appliance: the target SwitchTraffic will change.
  const traffic = await proveTrafficTarget(request, deps);
  const cmd = replStatus(2);
  const result = await deps.runner.run(request.replica.target, cmd, { timeoutSeconds: 120 });
  const text = [result.stdout, result.stderr].filter(Boolean).join('\n');
  const parsed = parseReplStatus(text);
  const verdict = judgeReplication(parsed, request.maxReplicationLagSeconds);
  const seen: Omit<Preflight, 'traffic'> = {
    command: renderShell(cmd),
    exitCode: result.exitCode,
    channels: parsed.channels.map((c) => ({
      name: c.name,
      status: c.status,
      line: c.line,
      ...(c.lagSeconds !== undefined ? { lagSeconds: c.lagSeconds } : {}),
    })),
    verdict,
    output: outputTail(text, 60),
    at: iso(deps.clock.now()),
  };
  if (!verdict.healthy) {
    if (!request.force) {
      throw new ReplicationNotHealthy(
        `Replication on ${request.replica.target} is not healthy enough to fail over (limit ${request.maxReplicationLagSeconds}s of lag; ` +
          `ghe-repl-status exit code ${result.exitCode}). Nothing was changed. Channels:\n${describeProblems(verdict)}\n` +
          'Wait for replication to catch up and start again, or accept the data loss explicitly with "force": {"reason": "..."}.',
        { problems: verdict.problems, exitCode: result.exitCode },
      );
    }
    seen.forced = request.force.reason;
    deps.log.warn('replication unhealthy; going on because of force', {
      problems: verdict.problems.map((p) => p.channel),
    });
  }
  if (verdict.accepted.length) {
    seen.accepted = describeAccepted(verdict);
    deps.log.info('replication warnings within the lag limit accepted', { accepted: seen.accepted });
  }
  const replicaVersion = await readGhesVersion(request.replica.target, deps);
  const primary = await probeUuid(request.primary.target, deps);
  if (request.mode === 'planned' && !primary.reached) {
    throw new PrimaryUnreachable(
      `Planned failover refused: the primary ${request.primary.target} does not answer (${primary.detail}), so it can neither be put in maintenance mode nor drained. Nothing was changed. ` +
        'If it is down, start an unplanned failover instead: "mode": "unplanned" (two observers confirm it is down, then the replica is promoted without a drain; add "stopOldPrimary": true to fence its instance). ' +
        'If it is up, check the path from the runner to it (SSM agent, or SSH on port 122) and start again.',
      { primary: request.primary.target, detail: primary.detail },
    );
  }
  return { ...seen, traffic, replicaVersion, ...(primary.uuid ? { oldPrimaryUuid: primary.uuid } : {}) };
}

/** `cat /data/user/common/uuid`: whether the appliance answered, and its UUID when it did. */
async function probeUuid(
  target: string,
  deps: Pick<Deps, 'runner'>,
): Promise<{ reached: boolean; uuid?: string; detail: string }> {
  try {
    const r = await deps.runner.run(target, readFile(UUID_FILE), { timeoutSeconds: 30 });
    const v = r.stdout.trim();
    const uuid = r.exitCode === 0 && UUID.test(v) ? v.toLowerCase() : undefined;
    return { reached: true, ...(uuid ? { uuid } : {}), detail: `answered (exit code ${r.exitCode})` };
  } catch (error) {
    const e = error as Error;
    return { reached: false, detail: `${e.name}: ${e.message.split('\n')[0]}` };
  }
}

/** `cat /data/user/common/uuid`, or undefined when the appliance does not answer. */
export async function readUuid(target: string, deps: Pick<Deps, 'runner'>): Promise<string | undefined> {
  return (await probeUuid(target, deps)).uuid;
}
