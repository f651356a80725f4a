import { awsErrorName } from '../../aws/aws-error.js';
import type { Executions } from '../../executions/executions.js';
import type { Logger } from '../../logger.js';
import type { DeskConfig } from '../config.js';
import type { VerificationInbox, VerificationMail, VerificationReceipt } from '../desk.js';
import { verifyAddress, type CustomEmailStore } from './settings.js';
import type { ForwardedMailEvidence } from './types.js';

/** The token line GitLab looks for: the first match in the body counts. */
export const TOKEN_LINE = /Verification token: ([A-Za-z0-9_-]{12})/;

/** SendTaskSuccess answers for a task that no longer waits (timed out, already resumed, unknown). */
const TASK_GONE = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'];

export interface StepFunctionsInboxDeps {
  desk: DeskConfig;
  store: CustomEmailStore;
  executions: Pick<Executions, 'sendTaskSuccess'>;
  log: Logger;
  now: () => number;
}

/**
 * The inbound half of the custom-email verification: a `+verify` mail that reached the service
 * desk resumes the execution waiting for it (SendTaskSuccess with the task token the send step
 * stored). The token found in the body goes to the parameter store (SecureString), never into the
 * task result; the result is the evidence the check step judges. A `+verify` mail no verification
 * waits for is dropped with a reason, never a ticket.
 */
export class StepFunctionsVerificationInbox implements VerificationInbox {
  constructor(private readonly d: StepFunctionsInboxDeps) {}

  /** The project whose custom address's `+verify` address the mail names. */
  private async project(addresses: string[]): Promise<string | undefined> {
    const named = new Set(addresses.map((a) => a.toLowerCase()));
    for (const p of this.d.desk.projects) {
      const settings = await this.d.store.settings(p.slug);
      if (settings && named.has(verifyAddress(settings.address).toLowerCase())) return p.slug;
    }
    return undefined;
  }

  async received(mail: VerificationMail): Promise<VerificationReceipt> {
    const project = await this.project(mail.verifyAddresses);
    if (!project) return { accepted: false, reason: 'verification-address-unknown' };
    const waiting = await this.d.store.waiting(project);
    if (!waiting) {
      this.d.log.warn('custom email: verification mail while no verification waits', {
        project,
        messageId: mail.messageId,
      });
      return { accepted: false, reason: 'verification-not-waiting' };
    }
    // Taken first, so a second copy of the mail finds nothing waiting; put back on a transient failure.
    await this.d.store.deleteWaiting(project);
    const token = TOKEN_LINE.exec(mail.body)?.[1];
    const evidence: ForwardedMailEvidence = {
      ...(mail.messageId ? { messageId: mail.messageId } : {}),
      ...(mail.from ? { from: mail.from } : {}),
      to: mail.to,
      deliveredTo: mail.deliveredTo,
      verdicts: Object.fromEntries(
        (['spf', 'dkim', 'dmarc', 'spam', 'virus'] as const)
          .filter((k) => typeof mail.verdicts[k] === 'string')
          .map((k) => [k, mail.verdicts[k]!]),
      ),
      tokenFound: token !== undefined,
      receivedAt: new Date(this.d.now()).toISOString(),
    };
    try {
      if (token) await this.d.store.saveReceivedToken(project, token);
      await this.d.executions.sendTaskSuccess(waiting.taskToken, evidence);
    } catch (e) {
      if (TASK_GONE.includes(awsErrorName(e) ?? '')) {
        this.d.log.warn('custom email: the verification no longer waits (timed out or stopped)', {
          project,
          execution: waiting.executionArn,
          error: awsErrorName(e),
        });
        return { accepted: false, reason: 'verification-task-ended' };
      }
      await this.d.store.saveWaiting(project, waiting);
      throw e;
    }
    this.d.log.info('custom email: forwarded verification mail handed to the workflow', {
      project,
      execution: waiting.executionArn,
      messageId: mail.messageId,
      tokenFound: evidence.tokenFound,
    });
    return { accepted: true, project };
  }
}
