import { projectDeskAddresses } from '../shared/service-desk/custom-email/project.js';
import { customEmailSender } from '../shared/service-desk/custom-email/sender.js';
import { customEmailStore } from '../shared/service-desk/custom-email/settings.js';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { lazyAdapter } from '../shared/runtime/aws-adapters.js';
import type { Deps } from '../shared/runtime/deps.js';
import type { Mailer } from '../shared/mail/mailer.js';
import type { RecordStore } from '../shared/records/record-store.js';
import { parseDeskConfig, type DeskConfig } from '../shared/service-desk/config.js';
import {
  type CustomSender,
  DeliveryInProgress,
  ServiceDesk,
  type Outcome,
  type VerificationInbox,
} from '../shared/service-desk/desk.js';
import type { Verdicts } from '../shared/service-desk/filter.js';
import { RestTicketRepository } from '../shared/service-desk/tickets.js';
import { handleWebhook } from '../shared/service-desk/webhook.js';
import { JournalRecordStore } from './adapters/journal-record-store.js';
import type { LocalHttpServer } from './http-server.js';
import { SANDBOX_GHES_PORT, SandboxGhes } from './sandbox/ghes/ghes-server.js';
import { SandboxIssues } from './sandbox/ghes/issues-api.js';
import type { Sandbox } from './sandbox/sandbox.js';
import type { LocalConfig } from './config.js';
import type { LocalWorld } from './world.js';

/** Local service desk settings (the `serviceDesk` part of the local config). */
export interface LocalDeskSettings {
  desk: DeskConfig;
  smtp: { host: string; port: number };
  sandboxGhes: { host: string; port: number };
  /** Largest message the SMTP server accepts (SES accepts up to 40 MB). */
  maxSmtpBytes: number;
}

/**
 * The `rawMail` and `tickets` adapters of the local world's handlers: locally mail arrives over
 * SMTP (LocalServiceDesk), never from S3, and the desk holds its own ticket client.
 */
export function localServiceDeskDeps(): Pick<Deps, 'rawMail' | 'tickets'> {
  const unavailable = (what: string) =>
    lazyAdapter<never>(
      () =>
        Promise.reject(
          new ConfigError(
            `${what} is not used locally: mail arrives over the local SMTP server (npm start).`,
          ),
        ),
      what,
    );
  return { rawMail: unavailable('rawMail'), tickets: unavailable('tickets') };
}

export const SANDBOX_TICKETS_REPO = 'acme/support-tickets';

export function defaultDeskSettings(httpUrl: string): LocalDeskSettings {
  return {
    desk: parseDeskConfig(
      {
        local: 'support',
        domain: 'desk.localhost',
        publicUrl: `${httpUrl}/service-desk`,
        projects: [
          {
            slug: 'acme-support',
            id: 1,
            suffix: 'help',
            repo: SANDBOX_TICKETS_REPO,
            reopen: true,
            owners: ['owner@acme.localhost'],
          },
        ],
        recordPrefix: '/ghes-ops/service-desk',
      },
      'default config',
    ),
    smtp: { host: '127.0.0.1', port: 2525 },
    // The same port as the GitHub App's sandbox GHES: npm start runs one for both.
    sandboxGhes: { host: '127.0.0.1', port: SANDBOX_GHES_PORT },
    maxSmtpBytes: 40 * 1024 * 1024,
  };
}

/** The addresses customers write to, for display. */
export function deskAddresses(desk: DeskConfig): string[] {
  return desk.projects.flatMap((p) => projectDeskAddresses(desk, p));
}

export interface LocalDeskOptions {
  settings: LocalDeskSettings;
  sandbox: Sandbox;
  mailer: Mailer;
  log: Logger;
  /** Records (idempotency, reply keys); a journal file under the state dir, or memory. */
  records?: RecordStore;
  /**
   * A sandbox GHES already running (npm start: the GitHub App's, so one sandbox GHES serves both);
   * the desk adds its tickets repository to it and leaves starting and stopping it to its owner.
   */
  ghes?: SandboxGhes;
  /** The projects' custom addresses (enabled after a verification). */
  customSender?: CustomSender;
  /** Spool directory for accepted messages (never lost: failed ones stay in `failed/`). */
  spoolDir?: string;
  webhookSecret?: string;
  /** Called after each message is handled (benchmarks, tests). */
  onOutcome?: (o: Outcome, acceptedAt: number) => void;
  /** Retries of a failed delivery (like Lambda's two async retries), and the wait between them. */
  retries?: number;
  retryDelayMs?: number;
  /** Where `+verify` mail goes: the custom-email verification (default: recorded only). */
  verification?: VerificationInbox;
  /**
   * The verdicts (SPF, DKIM, DMARC, spam, virus) of each accepted message, from its SMTP envelope:
   * SES computes them in AWS; locally the sandbox mail provider vouches for its own forwards.
   */
  verdicts?: (envelope: SmtpEnvelopeInfo) => Verdicts | undefined;
}

/** The SMTP envelope of a message the local desk accepted. */
export interface SmtpEnvelopeInfo {
  mailFrom?: string;
  rcptTo: string[];
  remoteAddress?: string;
}

/**
 * The local service desk: the sandbox GHES REST API with the private tickets repository, the
 * `ServiceDesk` pipeline, an SMTP server on loopback that feeds it exactly like SES + S3 + Lambda
 * (accept, spool, then process asynchronously with retries), and the webhook and unsubscribe routes.
 */
export class LocalServiceDesk {
  readonly ghes: SandboxGhes;
  readonly issues: SandboxIssues;
  readonly desk: ServiceDesk;
  readonly webhookSecret: string;
  private smtp: SMTPServer | undefined;
  private inflight = new Set<Promise<void>>();
  smtpPort = 0;

  constructor(private readonly o: LocalDeskOptions) {
    this.ghes = o.ghes ?? new SandboxGhes(o.sandbox);
    this.issues = new SandboxIssues(this.ghes);
    const repo = this.issues.createRepo('acme', 'support-tickets', { private: true });
    repo.labels.add('service-desk');
    const token = this.ghes.issueToken('support-bot', ['repo']);
    const records = o.records ?? new JournalRecordStore({ now: () => Date.now() });
    this.webhookSecret = o.webhookSecret ?? randomBytes(20).toString('hex');
    this.desk = new ServiceDesk({
      config: o.settings.desk,
      tickets: new RestTicketRepository(
        () => this.ghes.apiUrl,
        () => Promise.resolve(token),
      ),
      records,
      mailer: o.mailer,
      log: o.log,
      now: () => Date.now(),
      ...(o.verification ? { verification: o.verification } : {}),
      ...(o.customSender ? { customSender: o.customSender } : {}),
    });
  }

  async start(): Promise<{ smtpPort: number; apiUrl: string }> {
    const { settings } = this.o;
    if (!this.o.ghes) await this.ghes.start(settings.sandboxGhes.port, settings.sandboxGhes.host);
    this.smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      size: settings.maxSmtpBytes,
      banner: 'ghes-ops local service desk',
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            const err = new Error(`552 message exceeds the ${settings.maxSmtpBytes} byte limit`) as Error & {
              responseCode: number;
            };
            err.responseCode = 552;
            this.o.log.warn('service desk: mail rejected', { reason: 'message-too-large' });
            return callback(err);
          }
          const raw = Buffer.concat(chunks);
          const envelope = session.envelope.rcptTo.map((r) => r.address);
          const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined;
          const verdicts = this.o.verdicts?.({
            ...(mailFrom ? { mailFrom } : {}),
            rcptTo: envelope,
            remoteAddress: session.remoteAddress,
          });
          this.accept(raw, envelope, verdicts).then(
            () => callback(),
            (e: Error) => callback(Object.assign(new Error(`451 ${e.message}`), { responseCode: 451 })),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.smtp!.once('error', reject);
      this.smtp!.listen(settings.smtp.port, settings.smtp.host, () => resolve());
    });
    const address = (this.smtp as unknown as { server: { address(): { port: number } } }).server.address();
    this.smtpPort = address.port;
    return { smtpPort: this.smtpPort, apiUrl: this.ghes.apiUrl };
  }

  /** Spools the message (the S3 object of the AWS path), then processes it asynchronously. */
  private async accept(raw: Buffer, envelope: string[], verdicts?: Verdicts): Promise<void> {
    const acceptedAt = Date.now();
    let file: string | undefined;
    if (this.o.spoolDir) {
      await mkdir(this.o.spoolDir, { recursive: true, mode: 0o700 });
      file = path.join(this.o.spoolDir, `${acceptedAt}-${randomBytes(6).toString('hex')}.eml`);
      await writeFile(file, raw, { mode: 0o600 });
    }
    const job = this.process(raw, envelope, acceptedAt, file, verdicts).finally(() =>
      this.inflight.delete(job),
    );
    this.inflight.add(job);
  }

  private async process(
    raw: Buffer,
    envelope: string[],
    acceptedAt: number,
    file?: string,
    verdicts?: Verdicts,
  ): Promise<void> {
    const retries = this.o.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.desk.ingest({
          raw,
          envelope,
          ...(file ? { source: file } : {}),
          ...(verdicts ? { verdicts } : {}),
        });
        this.o.onOutcome?.(outcome, acceptedAt);
        return;
      } catch (e) {
        const last = attempt >= retries && !(e instanceof DeliveryInProgress && attempt < 20);
        this.o.log[last ? 'error' : 'warn']('service desk: delivery failed', {
          attempt,
          error: (e as Error).message,
          final: last,
        });
        if (last) {
          if (file && this.o.spoolDir) {
            const failed = path.join(this.o.spoolDir, 'failed');
            await mkdir(failed, { recursive: true, mode: 0o700 });
            await rename(file, path.join(failed, path.basename(file))).catch(() => undefined);
          }
          this.o.onOutcome?.({ action: 'dropped', reason: 'delivery-failed-kept-in-spool' }, acceptedAt);
          return;
        }
        await new Promise((r) => setTimeout(r, (this.o.retryDelayMs ?? 200) * (attempt + 1)));
      }
    }
  }

  /** Resolves when every accepted message has been processed. */
  async settled(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  /** Webhook and unsubscribe routes on the local HTTP server. */
  routes(server: LocalHttpServer): void {
    server.route('POST', '/service-desk/webhook', async (req) => {
      const r = await handleWebhook(
        { headers: req.headers, body: req.body },
        this.webhookSecret,
        this.desk,
        this.o.log,
      );
      return { status: r.status, body: r.body };
    });
    const unsubscribe = async (key: string) => {
      if (!/^[0-9a-f]{32}$/.test(key)) return { status: 404, body: 'Unknown unsubscribe link.\n' };
      const o = await this.desk.unsubscribe(key);
      return o.action === 'unsubscribed'
        ? { status: 200, body: 'You will receive no more email about this ticket.\n' }
        : { status: 404, body: 'Unknown unsubscribe link.\n' };
    };
    server.route('GET', '/service-desk/unsubscribe/:key', (req) => unsubscribe(req.params.key ?? ''));
    server.route('POST', '/service-desk/unsubscribe/:key', (req) => unsubscribe(req.params.key ?? ''));
  }

  async close(): Promise<void> {
    await this.settled();
    if (this.smtp) await new Promise<void>((r) => this.smtp!.close(() => r()));
    if (!this.o.ghes) await this.ghes.close();
  }
}

/** `npm start`: the service desk on the sandbox, its SMTP server and HTTP routes; prints the addresses. */
export async function startLocalDesk(
  config: LocalConfig,
  world: LocalWorld,
  server: LocalHttpServer,
  log: (line: string) => void,
  /** The custom-email verification's inbox and verdicts (local/custom-email-world.ts). */
  extra: Pick<LocalDeskOptions, 'verification' | 'verdicts' | 'ghes'> = {},
): Promise<LocalServiceDesk> {
  const s = config.local.serviceDesk;
  const secretName = `${config.parameterPrefix}/service-desk/webhook-secret`;
  let secret = await world.deps.params.get(secretName);
  if (!secret) {
    secret = randomBytes(20).toString('hex');
    await world.deps.params.put(secretName, secret, { secure: true, overwrite: true });
  }
  const desk = new LocalServiceDesk({
    settings: s,
    sandbox: world.sandbox!,
    mailer: world.deps.mailer,
    log: world.deps.log.child({ fn: 'serviceDesk' }),
    // The world's record store (`<stateDir>/records.jsonl`, one table like RecordsTable in AWS),
    // on real time like the desk's own `now`: burst windows and expiry ignore the time scale.
    records: world.deps.records,
    spoolDir: path.join(config.local.stateDir, 'inbox'),
    webhookSecret: secret,
    customSender: customEmailSender(
      customEmailStore(world.deps),
      world.deps.smtpSubmission,
      world.deps.log.child({ fn: 'serviceDesk' }),
    ),
    ...extra,
  });
  const { smtpPort, apiUrl } = await desk.start();
  desk.routes(server);
  log(
    `  service desk: SMTP ${s.smtp.host}:${smtpPort}, sandbox GHES API ${apiUrl} (tickets in ${SANDBOX_TICKETS_REPO}, private)`,
  );
  for (const a of deskAddresses(s.desk))
    log(`    write to ${a}   e.g. swaks --server ${s.smtp.host}:${smtpPort} --to ${a}`);
  log(
    `    webhook POST /service-desk/webhook (secret in parameter ${secretName}); outbox ${config.local.stateDir}/outbox`,
  );
  return desk;
}
