import { readFile, replStatus } from '../appliance/ghe.js';
import { renderShell } from '../appliance/command.js';
import type { Deps } from '../runtime/deps.js';
import { outputTail } from '../support-bundle/output.js';
import { ReplicationNotHealthy } from './errors.js';
import { iso } from './names.js';
import {
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
  /** The old primary's node UUID, when it answered (for teardown after the failover). */
  oldPrimaryUuid?: string;
  at: string;
}

/** `ghe-repl-status -vv` on the replica, every channel parsed, and the health gate. */
export async function preflight(
  request: FailoverRequest,
  deps: Pick<Deps, 'clock' | 'log' | 'runner'>,
): Promise<Preflight> {
  const cmd = replStatus(2);
  const result = await deps.runner.run(request.replica.target, cmd, { timeoutSeconds: 120 });
  const text = [result.stdout, result.stderr].filter(Boolean).join('\n');
  const parsed = parseReplStatus(text);
  const verdict = judgeReplication(parsed, request.maxReplicationLagSeconds);
  const seen: Preflight = {
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
  const uuid = await readUuid(request.primary.target, deps);
  if (uuid) seen.oldPrimaryUuid = uuid;
  return seen;
}

/** `cat /data/user/common/uuid`, or undefined when the appliance does not answer. */
export async function readUuid(target: string, deps: Pick<Deps, 'runner'>): Promise<string | undefined> {
  try {
    const r = await deps.runner.run(target, readFile(UUID_FILE), { timeoutSeconds: 30 });
    const v = r.stdout.trim();
    return r.exitCode === 0 && UUID.test(v) ? v.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
