import { ConfigError, InputValidationError } from '../errors.js';
import { functionName } from './doctor.js';
import { SES_MESSAGE_ID as MESSAGE_ID } from '../service-desk/ses-event.js';

/** Lambda invocation of a deployed function (AWS SDK v3: shared/aws/doctor-aws.ts). */
export interface FunctionInvoker {
  environment(functionName: string): Promise<Record<string, string> | undefined>;
  /** Synchronous invocation: the function's output, or its error. */
  invoke(functionName: string, payload: unknown): Promise<{ output: unknown } | { error: string }>;
}

const EMAIL = /^[^\s@<>,"]+@[^\s@<>,"]+\.[^\s@<>,"]+$/;

type SesRecord = { ses?: { mail?: { messageId?: unknown } } };
function sesRecords(event: unknown): SesRecord[] | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const records: unknown = (event as Record<string, unknown>).Records;
  return Array.isArray(records) ? (records as SesRecord[]) : undefined;
}

export interface RedriveOptions {
  /** Envelope recipient (default: the desk address of the deployed configuration). */
  recipient?: string;
  /**
   * The dead letter itself (the SQS message body is the original SES event): replayed as is, so
   * the SES verdicts (spam, virus, SPF, DKIM, DMARC) still apply.
   */
  event?: unknown;
}

export interface RedriveResult {
  functionName: string;
  messageId: string;
  withVerdicts: boolean;
  output: unknown;
}

/**
 * Replays a service desk dead letter: invokes serviceDeskReceive with an SES receipt event for the
 * raw message at `key` (`inbound/<SES message id>` in the mail bucket). Idempotent on the desk's
 * side (the message id is claimed once), so a redrive of a mail that did get through does nothing.
 */
export async function redrive(
  stage: string,
  key: string,
  opts: RedriveOptions,
  deps: { functions: FunctionInvoker },
): Promise<RedriveResult> {
  const fn = functionName(stage, 'serviceDeskReceive');
  const env = await deps.functions.environment(fn);
  if (!env)
    throw new ConfigError(
      `Function ${fn} was not found: check --stage and --region (the stage must be deployed with the service desk).`,
    );
  const prefix = env.GHES_OPS_SERVICE_DESK_PREFIX ?? 'inbound/';
  const trimmed = key.trim().replace(/^s3:\/\/[^/]+\//, '');
  const messageId = trimmed.startsWith(prefix) ? trimmed.slice(prefix.length) : trimmed;
  if (!MESSAGE_ID.test(messageId))
    throw new InputValidationError(
      [
        {
          field: 's3-key',
          problem: `"${key}" is not a raw mail key: expected ${prefix}<SES message id> (letters, digits, ".", "_", "-"), as in the dead letter or the bucket`,
        },
      ],
      'redrive request',
    );
  let event: unknown;
  if (opts.event !== undefined) {
    const records = sesRecords(opts.event);
    if (!records || records.length !== 1 || records[0]?.ses?.mail?.messageId !== messageId)
      throw new InputValidationError(
        [
          {
            field: '--event',
            problem: `must be the dead letter's SES event (the SQS message body) with exactly one record, for message ${messageId}`,
          },
        ],
        'redrive request',
      );
    event = opts.event;
  } else {
    const recipient = opts.recipient?.trim() || deskAddress(env.GHES_OPS_SERVICE_DESK);
    if (!recipient || !EMAIL.test(recipient))
      throw new InputValidationError(
        [
          {
            field: '--recipient',
            problem: `must be the desk address the mail was sent to (got "${recipient ?? ''}")`,
          },
        ],
        'redrive request',
      );
    event = {
      Records: [
        {
          eventSource: 'aws:ses',
          eventVersion: '1.0',
          ses: {
            mail: { messageId, destination: [recipient] },
            receipt: { recipients: [recipient] },
          },
        },
      ],
    };
  }
  const res = await deps.functions.invoke(fn, event);
  if ('error' in res) throw new RedriveFailed(`${fn} failed on ${prefix}${messageId}: ${res.error}`);
  return { functionName: fn, messageId, withVerdicts: opts.event !== undefined, output: res.output };
}

function deskAddress(json: string | undefined): string | undefined {
  try {
    const desk = JSON.parse(json ?? '') as { local?: string; domain?: string };
    return desk.local && desk.domain ? `${desk.local}@${desk.domain}` : undefined;
  } catch {
    return undefined;
  }
}

export class RedriveFailed extends Error {
  override readonly name = 'RedriveFailed';
}
