import { projectDeskAddresses } from '../shared/service-desk/custom-email/project.js';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDeskConfig, type DeskConfig } from '../shared/service-desk/config.js';
import type { Outcome } from '../shared/service-desk/desk.js';
import type { Verdicts } from '../shared/service-desk/filter.js';
import { ticketTokenParameter } from '../shared/service-desk/ticket-token.js';
import { deskFromDeps } from '../shared/service-desk/desk-factory.js';
import { ConfigError } from '../shared/errors.js';
import { LocalSesInbound, type SmtpEnvelopeInfo } from './ses-inbound.js';
import { sesMessageIds } from './async-invoke.js';
import { SANDBOX_GHES_PORT, SandboxGhes } from './sandbox/ghes/ghes-server.js';
import { SandboxIssues } from './sandbox/ghes/issues-api.js';
import type { LocalConfig } from './config.js';
import type { LocalWorld } from './world.js';
import { jsonBody, type LocalHttpServer } from './http-server.js';

export type { SmtpEnvelopeInfo };

/** Local service desk settings (the `serviceDesk` part of the local config). */
export interface LocalDeskSettings {
  desk: DeskConfig;
  smtp: { host: string; port: number };
  sandboxGhes: { host: string; port: number };
  /** Largest message the SMTP server accepts (SES accepts up to 40 MB). */
  maxSmtpBytes: number;
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
            // Issue 19: a second address whose tickets get the `billing` label.
            aliases: [{ suffix: 'billing', labels: ['billing'], assignees: [] }],
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
  world: LocalWorld;
  settings: LocalDeskSettings;
  /**
   * A sandbox GHES already running (npm start: the GitHub App's, so one sandbox GHES serves both);
   * the desk adds its tickets repository to it and leaves starting and stopping it to its owner.
   */
  ghes?: SandboxGhes;
  /** The webhook secret (default: the stored one, or a new one). */
  webhookSecret?: string;
  /** Called with each outcome of the receive function (benchmarks, tests, the terminal). */
  onOutcome?: (o: Outcome, acceptedAt: number) => void;
  /**
   * The verdicts (SPF, DKIM, DMARC, spam, virus) of each accepted message, from its SMTP envelope:
   * SES computes them in AWS; locally the sandbox mail provider vouches for its own forwards.
   */
  verdicts?: (envelope: SmtpEnvelopeInfo) => Verdicts | undefined;
  /** Wait before the failed spool is retried at start (default 2 s). */
  retryFailedAfterMs?: number;
}

/**
 * The local service desk: only what is genuinely local. The sandbox GHES with the private tickets
 * repository and a token for the desk (stored where AWS keeps it,
 * `<prefix>/service-desk/github-token`), the webhook secret, and the SES stand-in (an SMTP server
 * on loopback that stores each message in the local mail bucket and invokes the SES receipt
 * rule's function, `functions/service-desk/receive.ts`, asynchronously with retries). The
 * webhook and unsubscribe routes are the HTTP API's, served through `functions/service-desk/http.ts`.
 */
export class LocalServiceDesk {
  readonly ghes: SandboxGhes;
  readonly issues: SandboxIssues;
  webhookSecret = '';
  private inbound: LocalSesInbound | undefined;
  private stopListening: (() => void) | undefined;
  smtpPort = 0;

  constructor(private readonly o: LocalDeskOptions) {
    if (!o.world.sandbox)
      throw new ConfigError('The local service desk runs on the sandbox (appliance.runner "sandbox").');
    this.ghes = o.ghes ?? new SandboxGhes(o.world.sandbox);
    // The tickets survive a restart with the stack's state (as GHES keeps them), never in tests.
    this.issues = new SandboxIssues(
      this.ghes,
      o.world.inMemory
        ? {}
        : { journal: path.join(o.world.config.local.stateDir, 'sandbox-ghes', 'issues.jsonl') },
    );
    // The private tickets repository of every configured project (the local config may set other
    // projects than the default one).
    const repos = new Set([SANDBOX_TICKETS_REPO, ...o.settings.desk.projects.map((p) => p.repo)]);
    for (const full of repos) {
      const [owner, name] = full.split('/') as [string, string];
      const repo = this.issues.createRepo(owner, name, { private: true });
      if (!repo.labels.has('service-desk')) {
        repo.labels.add('service-desk');
        this.issues.saveRepo(repo);
      }
    }
  }

  async start(): Promise<{ smtpPort: number; apiUrl: string }> {
    const { settings, world } = this.o;
    if (!this.o.ghes) await this.ghes.start(settings.sandboxGhes.port, settings.sandboxGhes.host);
    const { config, deps } = world;
    // The desk's functions find GHES where a Lambda does: the configured GHES URL.
    if (config.githubApp) config.githubApp.ghesUrl = this.ghes.url;
    else
      config.githubApp = {
        ghesUrl: this.ghes.url,
        publicUrl: `http://${config.local.http.host}:${config.local.http.port}`,
        name: 'ghes-ops',
        features: [],
      };
    // The sandbox GHES keeps its tokens in memory: a fresh one for the support bot at each start.
    await deps.params.put(
      ticketTokenParameter(config.parameterPrefix),
      this.ghes.issueToken('support-bot', ['repo']),
      {
        secure: true,
        overwrite: true,
      },
    );
    const secretName = webhookSecretParameter(config.parameterPrefix);
    this.webhookSecret =
      this.o.webhookSecret ?? (await deps.params.get(secretName)) ?? randomBytes(20).toString('hex');
    await deps.params.put(secretName, this.webhookSecret, { secure: true, overwrite: true });
    // The repository's webhook, as an operator adds it on GHES (docs/service-desk.md): team
    // comments and closings reach the desk through the HTTP API, signed with that secret.
    for (const repo of new Set([SANDBOX_TICKETS_REPO, ...settings.desk.projects.map((p) => p.repo)]))
      this.issues.setHook(repo, { url: `${settings.desk.publicUrl}/webhook`, secret: this.webhookSecret });

    const ses = world.triggers.ses;
    if (!ses)
      throw new ConfigError(
        'serverless.yml has no SES receipt rule with a Lambda action: nothing would receive mail.',
      );
    const onOutcome = this.o.onOutcome;
    const count = (o: Outcome): void => {
      const reason = (o as { reason?: string }).reason;
      const k = reason ? `${o.action}:${reason}` : o.action;
      this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    };
    this.stopListening = world.invoker.listen({
      onResult: (key, result, event) => {
        if (key !== ses.functionKey || !Array.isArray(result)) return;
        const at = receivedAt(event);
        for (const o of result as unknown as Outcome[]) {
          count(o);
          if (o.action === 'held') void this.keepHeld(o.messageKey, event);
          onOutcome?.(o, at);
        }
      },
      onFailure: (key, record) => {
        if (key !== ses.functionKey) return;
        const at = receivedAt(record.requestPayload);
        const o: Outcome = { action: 'dropped', reason: 'delivery-failed-kept-in-spool' };
        count(o);
        onOutcome?.(o, at);
      },
    });
    this.inbound = new LocalSesInbound({
      host: settings.smtp.host,
      port: settings.smtp.port,
      maxBytes: settings.maxSmtpBytes,
      recipients: [settings.desk.domain],
      bucket: config.serviceDesk!.mailBucket!,
      prefix: ses.inboundPrefix,
      functionKey: ses.functionKey,
      functionArn: world.engine.functionArn(ses.functionKey),
      rawMail: deps.rawMail,
      invoker: world.invoker,
      log: deps.log.child({ fn: 'ses' }),
      banner: 'ghes-ops local service desk (SES inbound)',
      ...(world.inMemory ? {} : { spoolDir: path.join(config.local.stateDir, 'inbox', 'incoming') }),
      ...(this.o.verdicts ? { verdicts: this.o.verdicts } : {}),
    });
    await this.loadHeld();
    // The receive function is loaded before the first mail is taken (its first message would
    // otherwise wait for it, and every message accepted meanwhile behind that one).
    await world.engine.resolveFunction(ses.functionKey);
    const { port } = await this.inbound.start();
    this.smtpPort = port;
    // Nothing accepted is lost: what a previous run accepted and did not finish is handled now,
    // and the failed spool is retried once the stack is up (with the function's own retries).
    this.recovered = await this.inbound.recover();
    if (this.recovered)
      deps.log.warn('service desk: re-ingesting mail accepted before the last stop', {
        messages: this.recovered,
      });
    const failed = (await world.invoker.failedOf(ses.functionKey)).length;
    if (failed) {
      deps.log.warn('service desk: retrying the failed spool', { messages: failed });
      this.retryTimer = setTimeout(
        () => void this.replay({ failed: true }),
        this.o.retryFailedAfterMs ?? 2000,
      );
    }
    return { smtpPort: port, apiUrl: this.ghes.apiUrl };
  }

  /** Messages re-ingested from the incoming spool at start. */
  recovered = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  /** Outcomes of this run by action and reason (`dropped:no-sender`...): every drop is counted. */
  private readonly counts = new Map<string, number>();
  /** Held mail (burst-limited new tickets): SES message id -> the desk's message key and the SES event. */
  private readonly held = new Map<string, { messageKey: string; event: unknown }>();

  private heldDir(): string | undefined {
    return this.o.world.inMemory ? undefined : path.join(this.o.world.config.local.stateDir, 'inbox', 'held');
  }

  private async keepHeld(messageKey: string, event: unknown): Promise<void> {
    const [id] = sesMessageIds(event);
    if (!id) return;
    this.held.set(id, { messageKey, event });
    const dir = this.heldDir();
    if (dir) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(path.join(dir, `${id}.json`), JSON.stringify({ messageKey, event }), { mode: 0o600 });
    }
  }

  private async loadHeld(): Promise<void> {
    const dir = this.heldDir();
    if (!dir) return;
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
    } catch {
      return; // no held mail yet
    }
    for (const n of names)
      this.held.set(
        n.slice(0, -5),
        JSON.parse(await readFile(path.join(dir, n), 'utf8')) as { messageKey: string; event: unknown },
      );
  }

  /**
   * Re-ingests on the running stack, idempotently (the desk claims each Message-ID, so a replayed
   * mail never makes a second ticket): the failed spool (all, or the request or SES message ids in
   * `ids`), and with `held` the held mail, released from the burst limit.
   */
  async replay(o: { failed?: boolean; held?: boolean; ids?: readonly string[] }): Promise<{
    failed: string[];
    held: string[];
  }> {
    const key = this.o.world.triggers.ses!.functionKey;
    const failed = o.failed === false ? [] : await this.o.world.invoker.replayFailed(key, o.ids);
    const held: string[] = [];
    if (o.held) {
      const desk = deskFromDeps(this.o.world.deps);
      for (const [id, h] of [...this.held]) {
        if (o.ids && !o.ids.includes(id) && !o.ids.includes(h.messageKey)) continue;
        await desk.store.releaseHeld(h.messageKey);
        this.held.delete(id);
        const dir = this.heldDir();
        if (dir) await rm(path.join(dir, `${id}.json`), { force: true });
        this.o.world.invoker.invoke(key, h.event);
        held.push(id);
      }
    }
    return { failed, held };
  }

  /** The spools: accepted and not yet handled (incoming), and failed after the retries. */
  async spools(): Promise<{
    incoming: string[];
    failed: { requestId: string; messageIds: string[]; error: string }[];
    held: { messageId: string; messageKey: string }[];
    counts: Record<string, number>;
  }> {
    const key = this.o.world.triggers.ses!.functionKey;
    return {
      incoming: (await this.inbound?.pendingIds()) ?? [],
      held: [...this.held].map(([messageId, h]) => ({ messageId, messageKey: h.messageKey })),
      counts: Object.fromEntries([...this.counts].sort()),
      failed: (await this.o.world.invoker.failedOf(key)).map((r) => ({
        requestId: r.requestContext.requestId,
        messageIds: sesMessageIds(r.requestPayload),
        error: `${r.responsePayload.errorType}: ${r.responsePayload.errorMessage}`,
      })),
    };
  }

  /** Resolves when every accepted message has been processed (or went to the failed spool). */
  async settled(): Promise<void> {
    await this.inbound?.received();
    await this.o.world.invoker.settled();
    // Comments the desk wrote are delivered to its webhook too (and answered as internal).
    await this.issues.settled();
  }

  /**
   * Stops in order: refuse new mail first (421: senders retry later), let the messages already
   * accepted finish (at most `graceMs`), then close the SMTP server. Returns what is still in the
   * spools (they are handled at the next start).
   */
  async stop(graceMs = 30_000): Promise<{ incoming: string[]; failed: number }> {
    clearTimeout(this.retryTimer);
    this.inbound?.stopAccepting();
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(graceMs))
      await Promise.race([
        this.settled(),
        new Promise((r) => {
          timer = setTimeout(r, graceMs);
        }),
      ]);
    else await this.settled();
    clearTimeout(timer);
    await this.inbound?.close();
    this.stopListening?.();
    const s = await this.spools();
    return { incoming: s.incoming, failed: s.failed.length };
  }

  /** Stops the desk (waiting for what was accepted), then the sandbox GHES it started. */
  async close(): Promise<void> {
    await this.stop(Number.POSITIVE_INFINITY);
    if (!this.o.ghes) await this.ghes.close();
  }
}

/** When SES (the local stand-in) received the message of an SES event; now when it does not say. */
function receivedAt(event: unknown): number {
  const e = event as { Records?: { ses?: { receipt?: { timestamp?: string } } }[] } | null;
  return Date.parse(e?.Records?.[0]?.ses?.receipt?.timestamp ?? '') || Date.now();
}

export const webhookSecretParameter = (parameterPrefix: string): string =>
  `${parameterPrefix.replace(/\/$/, '')}/service-desk/webhook-secret`;

/** `npm start`: the service desk on the sandbox, its SMTP server; prints the addresses. */
export async function startLocalDesk(
  config: LocalConfig,
  world: LocalWorld,
  log: (line: string) => void,
  extra: Pick<LocalDeskOptions, 'verdicts' | 'ghes'> = {},
): Promise<LocalServiceDesk> {
  const s = config.local.serviceDesk;
  // One line per inbound mail on the terminal: what became of it.
  const onOutcome = (o: Outcome): void => log(`${new Date().toISOString()} mail: ${describeOutcome(o)}`);
  const desk = new LocalServiceDesk({ world, settings: s, onOutcome, ...extra });
  const { smtpPort, apiUrl } = await desk.start();
  log(
    `  service desk: SMTP ${s.smtp.host}:${smtpPort} (SES inbound: mail bucket ${path.join(config.local.stateDir, 'buckets')}, failed spool ${path.join(config.local.stateDir, 'failed')}), sandbox GHES API ${apiUrl} (tickets in ${SANDBOX_TICKETS_REPO}, private)`,
  );
  for (const a of deskAddresses(s.desk))
    log(
      `    write to ${a}   e.g. swaks --server ${s.smtp.host}:${smtpPort} --from you@example.com --to ${a}`,
    );
  log(
    `    webhook POST /service-desk/webhook (secret in parameter ${webhookSecretParameter(config.parameterPrefix)}); outbox ${config.local.stateDir}/outbox`,
  );
  return desk;
}

/**
 * The local stack's management routes for the desk's spools (what the SQS console is for a
 * dead-letter queue in AWS): `GET /desk/spools`, and `POST /desk/replay` with JSON
 * `{"ids"?: [...], "held"?: true, "failed"?: false}` (`ghes-ops desk replay [--held] [--failed]`).
 */
export function deskManagementRoutes(server: LocalHttpServer, desk: LocalServiceDesk): void {
  server.route('GET', '/desk/spools', async () => ({ status: 200, body: await desk.spools() }));
  server.route('POST', '/desk/replay', async (req) => {
    const body = jsonBody<{ ids?: unknown; held?: unknown; failed?: unknown }>(req.body);
    if (body === undefined)
      return {
        status: 400,
        body: { error: 'the body must be JSON {"ids"?: ["<request or SES message id>", ...]}' },
      };
    if (body.ids !== undefined && !(Array.isArray(body.ids) && body.ids.every((i) => typeof i === 'string')))
      return { status: 400, body: { error: 'ids must be a list of request or SES message ids' } };
    return {
      status: 200,
      body: await desk.replay({
        failed: body.failed !== false,
        held: body.held === true,
        ...(body.ids ? { ids: body.ids } : {}),
      }),
    };
  });
}

/** What became of an inbound mail, in one line for the terminal. */
export function describeOutcome(o: Outcome): string {
  const r = o as Outcome & { repo?: string; number?: number; reason?: string; address?: string };
  switch (o.action) {
    case 'created':
      return `ticket created ${r.repo}#${r.number}`;
    case 'commented':
      return `comment added to ${r.repo}#${r.number}`;
    case 'dropped':
      return `dropped (${r.reason})`;
    case 'duplicate':
      return 'duplicate of a message already handled (ignored)';
    case 'verification':
      return 'custom email verification mail handed to the waiting verification';
    case 'unsubscribed':
      return `unsubscribed ${r.address ?? ''}`.trim();
    default:
      return (o as { action: string }).action;
  }
}
