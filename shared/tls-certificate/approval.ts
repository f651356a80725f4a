import { requestDecision, type ApprovalRequested } from '../approval/gate.js';
import { causeMessage, type ErrorInfo } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import type { TlsInspection } from './inspect.js';
import type { RenewalProgress } from './renew.js';
import type { TlsCertificateRequest } from './request.js';

/**
 * After `ghe-ssl-acme -e` failed, GitHub Support's recovery (`ghe-ssl-acme -x`, which clears the
 * appliance's ACME settings, then `ghe-ssl-acme -e -v`) waits for an operator on the shared operator
 * wait (shared/approval/gate.ts). Approve: the execution runs it and confirms the new certificate is
 * served. Reject (RecoveryRejected) or no answer: nothing more runs; the served certificate is unchanged.
 */
export const TLS_APPROVAL_TIMEOUT_SECONDS = 3600;

export async function requestRecoveryApproval(
  taskToken: string,
  input: {
    request: TlsCertificateRequest;
    inspect: TlsInspection;
    renewal: RenewalProgress;
    renewError: ErrorInfo;
    execution: { id: string; name: string };
  },
  deps: Pick<Deps, 'clock' | 'config' | 'log' | 'mailer' | 'params'>,
): Promise<ApprovalRequested> {
  const { request: r, inspect, renewal, renewError, execution } = input;
  const leaf = inspect.served.chain[0]!;
  const summary = [
    `The renewal of the TLS certificate of ${r.hostname} FAILED, and the second attempt GitHub Support recommends is waiting for your approval.`,
    '',
    `  failed:    ${renewal.commands.join(', then ')} on ${r.target} (started ${renewal.startedAt})`,
    `  served:    valid until ${leaf.validTo} (${inspect.daysLeft} days left), issued by ${leaf.issuer}`,
    `  approve:   runs \`ghe-ssl-acme -x\` (CLEARS the appliance's ACME settings: account key, CA conf, provider), then \`ghe-ssl-acme -e -v\``,
    `  execution: ${execution.id}`,
    '',
    'The first attempt said:',
    ...causeMessage(renewError.Cause)
      .split('\n')
      .map((l) => `  ${l}`),
    '',
    `Before approving: Let's Encrypt must reach ${r.hostname} on port 80 from the internet, and the appliance must reach *.letsencrypt.org over HTTPS (a proxy must allow .letsencrypt.org). Fix those first if they are the cause.`,
  ];
  return requestDecision(
    taskToken,
    {
      workflow: 'tls-certificate',
      kind: 'approval',
      executionName: execution.name,
      executionArn: execution.id,
      notify: r.notify,
      subject: `[ghes-ops] APPROVAL NEEDED: ACME recovery (ghe-ssl-acme -x, -e -v) for ${r.hostname}`,
      summary,
      question: `Run ghe-ssl-acme -x (clears the ACME settings) then ghe-ssl-acme -e -v on ${r.target} for ${r.hostname}?`,
      rejectError: 'RecoveryRejected',
      timeoutSeconds: TLS_APPROVAL_TIMEOUT_SECONDS,
      onTimeout: 'nothing more runs and the served certificate stays as it is',
    },
    deps,
  );
}
