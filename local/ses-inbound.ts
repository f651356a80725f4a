import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../shared/logger.js';
import type { Verdicts } from '../shared/service-desk/filter.js';
import type { RawMailStore } from '../shared/service-desk/raw-mail.js';
import type { AsyncInvoker } from './async-invoke.js';

/**
 * The local stand-in for SES receiving: an SMTP server on loopback that does what the receipt rule
 * does in AWS, in the same order:
 * 1. enforce what SES enforces: recipients the rule covers (others get 550), at most 50 recipients
 *    per message (452, so the sender retries the rest), at most 40 MB (552);
 * 2. S3 action: the raw message into the local mail bucket under `<prefix><messageId>`;
 * 3. Lambda action (`InvocationType: Event`): the receipt rule's function is invoked
 *    asynchronously with the SES event (`Records[].ses.{mail, receipt}`), retried twice, then
 *    written to the failed spool (AsyncInvoker);
 * then answers 250. A message that could not be stored gets 451 (the sender retries). The event
 * is in the incoming spool before the 250. While `maxInFlight` messages are being handled, the
 * answer to the next DATA waits (the sender slows down; nothing is accepted that is not stored).
 * Verdicts come from `verdicts` (the sandbox mail provider vouches for its forwards); otherwise
 * SPF, DKIM and DMARC are GRAY (no authentication seen) and spam and virus PASS.
 */
export interface SmtpEnvelopeInfo {
  mailFrom?: string;
  rcptTo: string[];
  remoteAddress?: string;
}

export interface SesInboundOptions {
  host: string;
  port: number;
  /** Largest message (SES: 40 MB). */
  maxBytes: number;
  /** The receipt rule's recipients: a domain (`desk.example.com`) or an address. */
  recipients: string[];
  bucket: string;
  prefix: string;
  functionKey: string;
  functionArn: string;
  rawMail: RawMailStore;
  invoker: AsyncInvoker;
  log: Logger;
  verdicts?: (envelope: SmtpEnvelopeInfo) => Verdicts | undefined;
  banner?: string;
  /**
   * Messages handed to the function whose first attempt has not ended (default
   * DEFAULT_MAX_IN_FLIGHT). Past it, the answer to DATA waits for one to end: senders slow down to
   * the pace the desk keeps, as with a busy MTA, instead of the process queueing without bound
   * (memory, and every message's wait). A message waiting is not yet accepted: no 250 yet.
   */
  maxInFlight?: number;
  /**
   * The incoming spool: the SES event of each accepted message until its invocation ended (handled,
   * or in the failed spool). What is left here after a crash is invoked again at the next start.
   * Memory only without one (tests).
   */
  spoolDir?: string;
}

/** SES's limit of recipients per received message. */
export const MAX_RECIPIENTS = 50;

/** Default of `maxInFlight`: the receive function's invocations running at once. */
export const DEFAULT_MAX_IN_FLIGHT = 10;

const smtpError = (code: number, text: string): Error =>
  Object.assign(new Error(`${code} ${text}`), { responseCode: code });

/** An SES-like message id: 40 lowercase letters and digits. */
export function sesMessageId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(40)].map((b) => alphabet[b % 36]).join('');
}

/** The header fields of a raw message (unfolded), in order; linear in the header size. */
export function headerFields(
  raw: Buffer,
  limit = 10 * 1024,
): { fields: { name: string; value: string }[]; truncated: boolean } {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const fields: { name: string; value: string }[] = [];
  let size = 0;
  let truncated = false;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) {
      fields[fields.length - 1]!.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    size += line.length;
    if (size > limit) {
      truncated = true;
      break;
    }
    fields.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() });
  }
  return { fields, truncated };
}

function covered(address: string, recipients: string[]): boolean {
  const a = address.toLowerCase();
  const domain = a.slice(a.lastIndexOf('@') + 1);
  return recipients.some((r) => {
    const x = r.toLowerCase();
    return x.includes('@') ? x === a : x === domain || domain.endsWith(`.${x}`);
  });
}

/** The SES receipt event of one message, as the Lambda action sends it. */
export function sesEvent(o: {
  messageId: string;
  mailFrom: string;
  recipients: string[];
  raw: Buffer;
  verdicts: Required<Verdicts>;
  functionArn: string;
  at: Date;
}): unknown {
  const { fields, truncated } = headerFields(o.raw);
  const first = (name: string): string | undefined =>
    fields.find((f) => f.name.toLowerCase() === name)?.value;
  const list = (name: string): string[] | undefined => {
    const v = first(name);
    return v === undefined
      ? undefined
      : v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  };
  const common = Object.fromEntries(
    Object.entries({
      returnPath: o.mailFrom,
      from: list('from'),
      date: first('date'),
      to: list('to'),
      cc: list('cc'),
      messageId: first('message-id'),
      subject: first('subject'),
    }).filter(([, v]) => v !== undefined),
  );
  const status = (s: string) => ({ status: s });
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp: o.at.toISOString(),
            source: o.mailFrom,
            messageId: o.messageId,
            destination: o.recipients,
            headersTruncated: truncated,
            headers: fields,
            commonHeaders: common,
          },
          receipt: {
            timestamp: o.at.toISOString(),
            processingTimeMillis: 0,
            recipients: o.recipients,
            spamVerdict: status(o.verdicts.spam),
            virusVerdict: status(o.verdicts.virus),
            spfVerdict: status(o.verdicts.spf),
            dkimVerdict: status(o.verdicts.dkim),
            dmarcVerdict: status(o.verdicts.dmarc),
            action: { type: 'Lambda', functionArn: o.functionArn, invocationType: 'Event' },
          },
        },
      },
    ],
  };
}

export class LocalSesInbound {
  private smtp: SMTPServer | undefined;
  private refusing = false;
  private readonly pending = new Map<string, unknown>();
  private readonly receiving = new Set<Promise<unknown>>();
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  port = 0;

  constructor(private readonly o: SesInboundOptions) {}

  /**
   * Stops taking mail: new connections and new transactions get 421 (the sender keeps the message
   * and retries later); a message already being received is still accepted and handed on.
   */
  stopAccepting(): void {
    this.refusing = true;
  }

  /** Resolves when every message whose DATA was received has been stored and handed on. */
  async received(): Promise<void> {
    while (this.receiving.size) await Promise.all([...this.receiving]);
  }

  /** The SES message ids accepted and not yet handled for good (the incoming spool). */
  async pendingIds(): Promise<string[]> {
    if (!this.o.spoolDir) return [...this.pending.keys()];
    try {
      return (await readdir(this.o.spoolDir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Invokes the function again for every message left in the incoming spool (at start). */
  async recover(): Promise<number> {
    const ids = await this.pendingIds();
    for (const id of ids) {
      const event = this.o.spoolDir
        ? (JSON.parse(await readFile(path.join(this.o.spoolDir, `${id}.json`), 'utf8')) as unknown)
        : this.pending.get(id);
      this.o.invoker.invoke(this.o.functionKey, event, () => this.unspool(id));
    }
    return ids.length;
  }

  private async spool(id: string, event: unknown): Promise<void> {
    if (!this.o.spoolDir) {
      this.pending.set(id, event);
      return;
    }
    await mkdir(this.o.spoolDir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(this.o.spoolDir, `${id}.json`), JSON.stringify(event), { mode: 0o600 });
  }

  private async unspool(id: string): Promise<void> {
    if (this.o.spoolDir) await rm(path.join(this.o.spoolDir, `${id}.json`), { force: true });
    else this.pending.delete(id);
  }

  async start(): Promise<{ host: string; port: number }> {
    const o = this.o;
    this.smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      size: o.maxBytes,
      banner: o.banner ?? 'ghes-ops local SES inbound',
      logger: false,
      onConnect: (_session, callback) =>
        this.refusing ? callback(smtpError(421, '4.3.2 service shutting down, try again later')) : callback(),
      onMailFrom: (_address, _session, callback) =>
        this.refusing ? callback(smtpError(421, '4.3.2 service shutting down, try again later')) : callback(),
      onRcptTo: (address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error) => void) => {
        if (!covered(address.address, o.recipients))
          return callback(
            smtpError(550, `5.1.1 <${address.address}>: no receipt rule covers this recipient`),
          );
        if (session.envelope.rcptTo.length >= MAX_RECIPIENTS)
          return callback(
            smtpError(452, `4.5.3 too many recipients (at most ${MAX_RECIPIENTS} per message)`),
          );
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            o.log.warn('mail rejected', { reason: 'message-too-large' });
            return callback(smtpError(552, `5.3.4 message exceeds the ${o.maxBytes} byte limit`));
          }
          const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const rcptTo = session.envelope.rcptTo.map((r) => r.address);
          const job = this.receive(Buffer.concat(chunks), mailFrom, rcptTo, session.remoteAddress);
          this.receiving.add(job);
          void job.catch(() => undefined).finally(() => this.receiving.delete(job));
          job.then(
            () => callback(),
            (e: Error) => {
              o.log.error('mail not stored: answered 451', { detail: e.message });
              callback(smtpError(451, `4.3.0 ${e.message}`));
            },
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.smtp!.once('error', reject);
      this.smtp!.listen(o.port, o.host, () => resolve());
    });
    const address = (this.smtp as unknown as { server: { address(): { port: number } } }).server.address();
    this.port = address.port;
    return { host: o.host, port: this.port };
  }

  /** Waits for a free place among the messages in flight (`maxInFlight`). */
  private async slot(): Promise<void> {
    if (this.inFlight < (this.o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT)) {
      this.inFlight++;
      return;
    }
    // Handed over by `release`, which keeps the count.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }

  /**
   * Stores the message, then hands it to the receipt rule's function (asynchronously); waits first
   * while `maxInFlight` messages are being handled.
   */
  async receive(raw: Buffer, mailFrom: string, rcptTo: string[], remoteAddress?: string): Promise<string> {
    await this.slot();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.release();
    };
    try {
      return await this.store(raw, mailFrom, rcptTo, release, remoteAddress);
    } catch (error) {
      release();
      throw error;
    }
  }

  private async store(
    raw: Buffer,
    mailFrom: string,
    rcptTo: string[],
    release: () => void,
    remoteAddress?: string,
  ): Promise<string> {
    const o = this.o;
    const messageId = sesMessageId();
    await o.rawMail.put(o.bucket, `${o.prefix}${messageId}`, raw, 'message/rfc822');
    const given = o.verdicts?.({
      ...(mailFrom ? { mailFrom } : {}),
      rcptTo,
      ...(remoteAddress ? { remoteAddress } : {}),
    });
    const verdicts: Required<Verdicts> = {
      spam: given?.spam ?? 'PASS',
      virus: given?.virus ?? 'PASS',
      spf: given?.spf ?? 'GRAY',
      dkim: given?.dkim ?? 'GRAY',
      dmarc: given?.dmarc ?? 'GRAY',
    };
    const event = sesEvent({
      messageId,
      mailFrom,
      recipients: rcptTo,
      raw,
      verdicts,
      functionArn: o.functionArn,
      at: new Date(),
    });
    // The event is in the incoming spool before the sender gets 250: a crash from here on is
    // recovered at the next start (`recover`); it leaves the spool once handled for good.
    await this.spool(messageId, event);
    o.invoker.invoke(o.functionKey, event, () => this.unspool(messageId), release);
    return messageId;
  }

  async close(): Promise<void> {
    if (this.smtp) await new Promise<void>((r) => this.smtp!.close(() => r()));
  }
}
