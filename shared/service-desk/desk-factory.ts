import type { Deps } from '../runtime/deps.js';
import { customEmailSender } from './custom-email/sender.js';
import { StepFunctionsVerificationInbox } from './custom-email/inbox.js';
import { customEmailStore } from './custom-email/settings.js';
import { deskConfigFor } from './custom-email/project.js';
import { ServiceDesk, type AttachmentSink } from './desk.js';
import type { RawMailStore } from './raw-mail.js';

export type DeskDeps = Pick<
  Deps,
  | 'config'
  | 'clock'
  | 'wallClock'
  | 'log'
  | 'tickets'
  | 'records'
  | 'mailer'
  | 'executions'
  | 'params'
  | 'smtpSubmission'
  | 'rawMail'
>;

/**
 * The service desk of one invocation, from the function's dependencies: the same in the SES
 * receive function, the HTTP function and the local stack (which runs those functions). Cheap to
 * build; its state lives in the record store and the tickets repository, never in the process.
 */
export function deskFromDeps(deps: DeskDeps): ServiceDesk {
  const desk = deskConfigFor(deps.config);
  const customEmail = customEmailStore(deps);
  const bucket = deps.config.serviceDesk?.mailBucket;
  return new ServiceDesk({
    config: desk,
    tickets: deps.tickets,
    records: deps.records,
    mailer: deps.mailer,
    log: deps.log,
    // Record expiry, burst windows and GitHub's limits are real time, also on a faster local clock.
    now: () => deps.wallClock.now(),
    // `+verify` mail resumes the waiting custom-email verification (SendTaskSuccess); its
    // deadline is workflow time.
    verification: new StepFunctionsVerificationInbox({
      desk,
      store: customEmail,
      executions: deps.executions,
      log: deps.log,
      now: () => deps.clock.now(),
    }),
    // A project's verified custom address, when enabled, sends the desk's mail.
    customSender: customEmailSender(customEmail, deps.smtpSubmission, deps.log),
    ...(bucket ? { attachments: bucketAttachments(deps.rawMail, bucket) } : {}),
  });
}

/**
 * Attachments go to `attachments/<repo>/<message>/<name>` in the mail bucket, which keeps them
 * (serviceDeskAttachmentRetentionDays) after the raw message expires; the ticket shows where.
 */
export function bucketAttachments(rawMail: Pick<RawMailStore, 'put'>, bucket: string): AttachmentSink {
  return {
    save: async (ticket, attachment) => {
      const key = `attachments/${ticket}/${attachment.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'attachment'}`;
      await rawMail.put(
        bucket,
        key,
        attachment.content ?? new Uint8Array(),
        attachment.mimeType || 'application/octet-stream',
      );
      return `s3://${bucket}/${key}`;
    },
  };
}
