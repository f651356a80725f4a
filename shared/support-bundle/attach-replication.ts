import { replStatus, uploadReplStatus } from '../appliance/ghe.js';
import { renderShell } from '../appliance/command.js';
import { ApplianceCommandFailed, ConfigError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { outputTail } from './output.js';
import type { SupportBundleRequest } from './request.js';

export interface ReplicationAttachment {
  target: string;
  command: string;
  /** `ghe-repl-status` exit code: 0 OK, 1 WARNING, 2 CRITICAL. */
  replicationExitCode: number;
  replicationStatus: string;
  uploaded: true;
}

/** Captures `ghe-repl-status -vv` on the replica for the email, then uploads it to the same ticket. */
export async function attachReplicationStatus(
  request: SupportBundleRequest,
  deps: Pick<Deps, 'runner'>,
): Promise<ReplicationAttachment> {
  const target = request.replica;
  if (!target)
    throw new ConfigError('No replica is configured, so there is no replication status to attach.');
  const status = await deps.runner.run(target, replStatus(2), { timeoutSeconds: 60 });
  const upload = uploadReplStatus(request.ticket, `ghe-repl-status -vv from ${target}, attached by ghes-ops`);
  const result = await deps.runner.run(target, upload, { timeoutSeconds: 300 });
  if (result.exitCode !== 0) {
    throw new ApplianceCommandFailed(
      `Uploading the replication status to ticket ${request.ticket} failed on ${target} (exit code ${result.exitCode}). ` +
        `The support bundle itself was uploaded. Check outbound HTTPS from the appliance, then run ` +
        `\`ghe-repl-status -vv | ghe-support-upload -t ${request.ticket}\` on the replica.\nAppliance output:\n` +
        outputTail([result.stdout, result.stderr].filter(Boolean).join('\n')),
      { exitCode: result.exitCode },
    );
  }
  return {
    target,
    command: renderShell(upload),
    replicationExitCode: status.exitCode,
    replicationStatus: outputTail(status.stdout, 60),
    uploaded: true,
  };
}
