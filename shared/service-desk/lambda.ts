import { customEmailSender } from './custom-email/sender.js';
import type { AttachmentSink } from './desk.js';
import { ConfigError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { Fields } from '../validate.js';
import { deskConfigFromEnv } from './config.js';
import { ServiceDesk, type Outcome } from './desk.js';
import type { Verdicts } from './filter.js';
import { handleWebhook } from './webhook.js';
import { StepFunctionsVerificationInbox } from './custom-email/inbox.js';
import { customEmailStore } from './custom-email/settings.js';
import { VERIFY_PATH, verifyEndpoint } from './custom-email/trigger.js';

/** One SES receipt record: the message id (the S3 object key's tail), recipients and verdicts. */
export interface SesReceipt {
  messageId: string;
  recipients: string[];
  verdicts: Verdicts;
}

const status = (v: unknown): string | undefined => (v as { status?: string } | undefined)?.status;

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
      if (typeof id !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(id)) {
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
        } as Verdicts,
      };
    },
  );
}

let desk: ServiceDesk | undefined;
export function deskFromDeps(deps: Deps): ServiceDesk {
  if (desk) return desk;
  const customEmail = customEmailStore(deps);
  desk = new ServiceDesk({
    config: deskConfigFromEnv(),
    tickets: deps.tickets,
    records: deps.records,
    mailer: deps.mailer,
    log: deps.log,
    now: () => deps.clock.now(),
    // `+verify` mail resumes the waiting custom-email verification (SendTaskSuccess).
    verification: new StepFunctionsVerificationInbox({
      desk: deskConfigFromEnv(),
      store: customEmail,
      executions: deps.executions,
      log: deps.log,
      now: () => deps.clock.now(),
    }),
    // A project's verified custom address, when enabled, sends the desk's mail.
    customSender: customEmailSender(customEmail, deps.smtpSubmission, deps.log),
    ...(process.env.GHES_OPS_SERVICE_DESK_BUCKET
      ? { attachments: s3Attachments(deps, process.env.GHES_OPS_SERVICE_DESK_BUCKET) }
      : {}),
  });
  return desk;
}

/** Reads each message the receipt rule stored in S3 and runs the pipeline. Throws to be retried. */
export async function receiveFromSes(receipts: SesReceipt[], deps: Deps): Promise<Outcome[]> {
  const bucket = process.env.GHES_OPS_SERVICE_DESK_BUCKET;
  if (!bucket) throw new ConfigError('Environment variable GHES_OPS_SERVICE_DESK_BUCKET is not set.');
  const prefix = process.env.GHES_OPS_SERVICE_DESK_PREFIX ?? 'inbound/';
  const out: Outcome[] = [];
  for (const r of receipts) {
    const key = `${prefix}${r.messageId}`;
    const raw = await deps.rawMail.get(bucket, key);
    out.push(
      await deskFromDeps(deps).ingest({
        raw,
        envelope: r.recipients,
        verdicts: r.verdicts,
        source: `s3://${bucket}/${key}`,
      }),
    );
  }
  return out;
}

/** API Gateway HTTP API (payload 2.0) request, as the webhook and unsubscribe routes read it. */
export interface HttpEvent {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: string;
}

export function parseHttpEvent(event: unknown): HttpEvent {
  const e = (event ?? {}) as {
    requestContext?: { http?: { method?: string; path?: string } };
    rawPath?: string;
    headers?: Record<string, string>;
    body?: string;
    isBase64Encoded?: boolean;
  };
  const body = e.body ?? '';
  return {
    method: e.requestContext?.http?.method ?? 'GET',
    path: e.rawPath ?? e.requestContext?.http?.path ?? '/',
    headers: e.headers ?? {},
    body: e.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body,
  };
}

export async function serveHttp(
  req: HttpEvent,
  deps: Deps,
): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  if (req.method === 'POST' && VERIFY_PATH.test(req.path)) {
    const r = await verifyEndpoint(req, {
      params: deps.params,
      executions: deps.executions,
      parameterPrefix: deps.config.parameterPrefix,
      desk: deskConfigFromEnv(),
      log: deps.log,
    });
    return {
      statusCode: r.status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(r.body),
    };
  }
  const d = deskFromDeps(deps);
  const unsub = /\/unsubscribe\/([0-9a-f]{32})$/.exec(req.path);
  if (unsub?.[1] && (req.method === 'GET' || req.method === 'POST')) {
    const o = await d.unsubscribe(unsub[1]);
    const ok = o.action === 'unsubscribed';
    return {
      statusCode: ok ? 200 : 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: ok ? 'You will receive no more email about this ticket.\n' : 'Unknown unsubscribe link.\n',
    };
  }
  if (req.method === 'POST' && req.path.endsWith('/webhook')) {
    const secret =
      (await deps.params.get(`${deps.config.parameterPrefix}/service-desk/webhook-secret`)) ?? '';
    const r = await handleWebhook(req, secret, d, deps.log);
    return {
      statusCode: r.status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(r.body),
    };
  }
  return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'Not found\n' };
}

/**
 * Attachments go to `attachments/<repo>/<message>/<name>` in the mail bucket, which keeps them
 * (serviceDeskAttachmentRetentionDays) after the raw message expires; the ticket shows where.
 */
export function s3Attachments(deps: Pick<Deps, 'rawMail'>, bucket: string): AttachmentSink {
  return {
    save: async (ticket, attachment) => {
      const key = `attachments/${ticket}/${attachment.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'attachment'}`;
      await deps.rawMail.put(
        bucket,
        key,
        attachment.content ?? new Uint8Array(),
        attachment.mimeType || 'application/octet-stream',
      );
      return `s3://${bucket}/${key}`;
    },
  };
}
