import type { CommandHandle } from '../appliance/runner.js';
import { command, renderShell } from '../appliance/command.js';
import type { Deps } from '../runtime/deps.js';
import { AcmeRenewalFailed, CertificateNotReplaced } from '../runbook/errors.js';
import { outputTail } from '../support-bundle/output.js';
import type { ServedCertificate } from '../tls/tls-probe.js';
import type { TlsInspection } from './inspect.js';
import type { TlsCertificateRequest } from './request.js';

export interface RenewalProgress {
  handle: CommandHandle;
  /** The commands run, in order (`ghe-ssl-acme -x` first in a recovery). */
  commands: string[];
  startedAt: string;
  deadline: string;
  /** Output of `ghe-ssl-acme -x` in a recovery. */
  clearOutput?: string;
}

export interface RenewalCheck {
  state: 'running' | 'confirmed';
  output?: string;
  served?: ServedCertificate;
}

const RENEWAL_TIMEOUT_MS = 20 * 60_000;

/**
 * Starts the renewal on the appliance: `ghe-ssl-acme -e`, or after an approved failure the recovery
 * GitHub Support gave (`ghe-ssl-acme -x` to clear the ACME settings, then `ghe-ssl-acme -e -v`).
 * Only reached when the inspection found ACME enabled, the name right and the renewal due.
 */
export async function startRenewal(
  request: TlsCertificateRequest,
  deps: Pick<Deps, 'runner' | 'clock' | 'log'>,
): Promise<RenewalProgress> {
  const commands: string[] = [];
  let clearOutput: string | undefined;
  if (request.recovery) {
    const clear = command('ghe-ssl-acme', '-x');
    commands.push(renderShell(clear));
    const r = await deps.runner.run(request.target, clear, { timeoutSeconds: 120 });
    clearOutput = outputTail([r.stdout, r.stderr].filter(Boolean).join('\n'));
    if (r.exitCode !== 0)
      throw new AcmeRenewalFailed(
        `ghe-ssl-acme -x failed on ${request.target} (exit code ${r.exitCode}); the certificate was not touched.\nAppliance output:\n${clearOutput}`,
        { output: clearOutput },
      );
  }
  const enable = request.recovery ? command('ghe-ssl-acme', '-e', '-v') : command('ghe-ssl-acme', '-e');
  commands.push(renderShell(enable));
  const now = deps.clock.now();
  const handle = await deps.runner.start(request.target, enable, {
    timeoutSeconds: RENEWAL_TIMEOUT_MS / 1000 + 300,
  });
  deps.log.info('acme renewal started', { target: request.target, commands, commandId: handle.commandId });
  return {
    handle,
    commands,
    startedAt: new Date(now).toISOString(),
    deadline: new Date(now + RENEWAL_TIMEOUT_MS).toISOString(),
    ...(clearOutput !== undefined ? { clearOutput } : {}),
  };
}

/** One poll; when the command is done, reads the served certificate again and requires a new one. */
export async function checkRenewal(
  request: TlsCertificateRequest,
  inspection: TlsInspection,
  progress: RenewalProgress,
  deps: Pick<Deps, 'runner' | 'tlsProbe' | 'clock'>,
): Promise<RenewalCheck> {
  const result = await deps.runner.poll(progress.handle);
  const last = progress.commands[progress.commands.length - 1];
  if (!result.done) {
    if (deps.clock.now() > Date.parse(progress.deadline))
      throw new AcmeRenewalFailed(
        `${last} was still running on ${request.target} after ${RENEWAL_TIMEOUT_MS / 60_000} minutes; it may still finish. Check the Management Console, then run the workflow again.`,
      );
    return { state: 'running' };
  }
  const output = outputTail([result.stdout, result.stderr].filter(Boolean).join('\n'));
  if (result.status !== 'Success' || result.exitCode !== 0)
    throw new AcmeRenewalFailed(
      `${last} failed on ${request.target} (exit code ${result.exitCode}, ${result.status}). Let's Encrypt must reach ${request.hostname} on port 80 from the internet, and the appliance must reach *.letsencrypt.org over HTTPS (a proxy must allow .letsencrypt.org).\nAppliance output:\n${output}`,
      { exitCode: result.exitCode, output },
    );
  const served = await deps.tlsProbe.probe({
    hostname: request.hostname,
    ...(request.connectHost ? { connectHost: request.connectHost } : {}),
    port: request.port,
  });
  const before = inspection.served.chain[0]!;
  const after = served.chain[0]!;
  if (
    after.fingerprint256 === before.fingerprint256 ||
    Date.parse(after.validTo) <= Date.parse(before.validTo)
  )
    throw new CertificateNotReplaced(
      `${last} exited 0 but ${request.hostname} still serves the old certificate (valid until ${after.validTo}). A configuration run may still be applying it: check the Management Console and run the workflow again.\nAppliance output:\n${output}`,
      { output },
    );
  return { state: 'confirmed', output, served };
}
