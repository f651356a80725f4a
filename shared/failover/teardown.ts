import { command, renderShell } from '../appliance/command.js';
import type { Deps } from '../runtime/deps.js';
import { outputTail } from '../support-bundle/output.js';
import { iso } from './names.js';
import { readUuid } from './preflight.js';
import { compareGhesVersions, DECOMMISSION_FROM } from './version.js';
import type { FailoverState } from './state.js';

/**
 * Optional: remove the old primary from the HA configuration, on the new primary:
 * `ghe-repl-decommission UUID` (GHES 3.18+), else `ghe-repl-teardown -u UUID`, by the release
 * preflight read (unknown: the newer command, then the older one if not found). The failover has
 * succeeded by then, so a failure here is reported, not fatal.
 */
export interface TeardownResult {
  state: 'skipped' | 'done' | 'failed';
  uuid?: string;
  command?: string;
  exitCode?: number;
  output?: string;
  note: string;
  at: string;
}

const COMMAND_NOT_FOUND = 127;

export async function teardownOldPrimary(
  state: FailoverState,
  deps: Pick<Deps, 'clock' | 'runner'>,
): Promise<TeardownResult> {
  const { request } = state;
  const at = iso(deps.clock.now());
  if (!request.teardownOldPrimary)
    return {
      state: 'skipped',
      note: 'teardownOldPrimary was not requested: the old primary is still listed in the HA configuration',
      at,
    };
  const uuid = state.preflight?.oldPrimaryUuid ?? (await readUuid(request.primary.target, deps));
  if (!uuid) {
    return {
      state: 'failed',
      note: `the old primary's UUID is unknown (it did not answer). When it is back: cat /data/user/common/uuid on it, then ghe-repl-teardown -u UUID on ${request.replica.target}`,
      at,
    };
  }
  const target = request.replica.target;
  // By the release read in preflight; unknown: try the newer command, fall back when not found.
  const version = state.preflight?.replicaVersion?.version;
  const decommission = version === undefined || compareGhesVersions(version, DECOMMISSION_FROM) >= 0;
  let cmd = decommission ? command('ghe-repl-decommission', uuid) : command('ghe-repl-teardown', '-u', uuid);
  try {
    let r = await deps.runner.run(target, cmd, { timeoutSeconds: 600 });
    if (decommission && version === undefined && r.exitCode === COMMAND_NOT_FOUND) {
      cmd = command('ghe-repl-teardown', '-u', uuid);
      r = await deps.runner.run(target, cmd, { timeoutSeconds: 600 });
    }
    const output = outputTail([r.stdout, r.stderr].filter(Boolean).join('\n'), 20, 2000);
    return {
      state: r.exitCode === 0 ? 'done' : 'failed',
      uuid,
      command: renderShell(cmd),
      exitCode: r.exitCode,
      output,
      note:
        r.exitCode === 0
          ? 'old primary removed from the HA configuration'
          : 'removing the old primary failed: see the output',
      at,
    };
  } catch (error) {
    const e = error as Error;
    return {
      state: 'failed',
      uuid,
      command: renderShell(cmd),
      note: `${e.name}: ${e.message.split('\n')[0]}`,
      at,
    };
  }
}
