import { ConfigError } from '../errors.js';
import { Fields } from '../validate.js';
import type { Outcome } from './desk.js';
import { deskFromDeps, type DeskDeps } from './desk-factory.js';
import type { Verdicts } from './filter.js';
import { preloadMarkdown } from './templates.js';
import { preloadTicketClient } from './tickets.js';

/**
 * The SES receipt rule's Lambda action (after its S3 action stored the raw message): one record per
 * message, with the message id (the S3 object key's tail), the recipients the rule matched and
 * the five verdicts. The local SMTP server sends the same event (local/ses-inbound.ts).
 */
export interface SesReceipt {
  messageId: string;
  recipients: string[];
  verdicts: Verdicts;
}

const status = (v: unknown): string | undefined => (v as { status?: string } | undefined)?.status;
export const SES_MESSAGE_ID = /^[A-Za-z0-9._-]{1,200}$/;

export function parseSesEvent(event: unknown): SesReceipt[] {
  const records = (event as { Records?: unknown[] } | null)?.Records;
  if (!Array.isArray(records) || records.length === 0) {
    const f = new Fields(event, 'SES event');
    f.fail('Records', 'must be a non-empty list of SES receipt records');
    f.done();
  }
  return (records as { ses?: { mail?: { messageId?: string }; receipt?: Record<string, unknown> } }[]).map(
    (r, i) => {
      const id = r.ses?.mail?.messageId;
      if (typeof id !== 'string' || !SES_MESSAGE_ID.test(id)) {
        const f = new Fields({}, 'SES event');
        f.fail(`Records[${i}].ses.mail.messageId`, 'must be the SES message id');
        f.done();
      }
      const rc = r.ses?.receipt ?? {};
      return {
        messageId: id as string,
        recipients: Array.isArray(rc.recipients) ? (rc.recipients as unknown[]).map(String) : [],
        verdicts: {
          spam: status(rc.spamVerdict),
          virus: status(rc.virusVerdict),
          spf: status(rc.spfVerdict),
          dkim: status(rc.dkimVerdict),
          dmarc: status(rc.dmarcVerdict),
        },
      };
    },
  );
}

/** Reads each message the receipt rule stored in the mail bucket and runs the pipeline. Throws to be retried. */
export async function receiveFromSes(receipts: SesReceipt[], deps: DeskDeps): Promise<Outcome[]> {
  const bucket = deps.config.serviceDesk?.mailBucket;
  if (!bucket)
    throw new ConfigError(
      'Environment variable GHES_OPS_SERVICE_DESK_BUCKET is not set (the mail bucket; serverless.yml sets it).',
    );
  const prefix = deps.config.serviceDesk?.inboundPrefix ?? 'inbound/';
  // What the pipeline loads on first use (Octokit, markdown-it) starts loading now, while the raw
  // message is read and parsed, not after the message is claimed. A failure shows where it is used.
  void Promise.all([preloadTicketClient(), preloadMarkdown()]).catch(() => undefined);
  const desk = deskFromDeps(deps);
  const out: Outcome[] = [];
  for (const r of receipts) {
    const key = `${prefix}${r.messageId}`;
    const raw = await deps.rawMail.get(bucket, key);
    out.push(
      await desk.ingest({
        raw,
        envelope: r.recipients,
        verdicts: r.verdicts,
        source: `s3://${bucket}/${key}`,
      }),
    );
  }
  return out;
}
