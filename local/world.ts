import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { realClock, scaledClock, type Clock } from '../shared/clock.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { setDeps, type Deps } from '../shared/runtime/deps.js';
import type { CommandRunner } from '../shared/appliance/runner.js';
import type { Mailer } from '../shared/mail/mailer.js';
import { FileParameterStore } from './adapters/file-parameter-store.js';
import { JournalRecordStore } from './adapters/journal-record-store.js';
import { OutboxMailer } from './adapters/outbox-mailer.js';
import { SmtpMailer } from './adapters/smtp-mailer.js';
import { SshCommandRunner } from './adapters/ssh-runner.js';
import { LocalEngine } from './engine/local-engine.js';
import { LocalExecutions } from './engine/local-executions.js';
import type { HistoryEvent } from './engine/history.js';
import { Sandbox, type SandboxOptions } from './sandbox/sandbox.js';
import type { SandboxCloud } from './sandbox/cloud/sandbox-cloud.js';
import { localFailoverDeps, sandboxScopedParams } from './failover-world.js';
import type { LocalConfig } from './config.js';
import { FileRawMailStore } from './adapters/file-raw-mail-store.js';
import { AsyncInvoker } from './async-invoke.js';
import { LocalEventBus } from './events.js';
import { readTriggers, type Triggers } from './serverless-triggers.js';
import { restTickets } from '../shared/service-desk/ticket-token.js';
import { installActionsSync, type ActionsSyncSandbox } from './sandbox/actions-sync/install.js';
import { FetchGhesApi } from '../shared/ghes/fetch-ghes-api.js';
import { ConfigError } from '../shared/errors.js';
import { NodemailerSmtpSubmission } from '../shared/mail/nodemailer-smtp-submission.js';
import { installRunbook, type RunbookSandbox } from './sandbox/runbook/install.js';
import { ExecutionRecords, type ExecutionSource } from './engine/execution-records.js';

/**
 * The local world: one process holding the engine, the handlers (through `setDeps`), the appliance
 * runner (sandbox or SSH), the parameter file, the mail outbox, and one clock for all of them.
 */
export interface LocalWorld {
  config: LocalConfig;
  clock: Clock;
  engine: LocalEngine;
  deps: Deps;
  sandbox?: Sandbox;
  /** The AWS around the sandbox (DNS zone, target group, EC2, HTTPS) for the failover workflow. */
  cloud?: SandboxCloud;
  /** Resolves once the failover execution-ended handlers started so far have finished. */
  failoverSettled: () => Promise<void>;
  /** Every trigger serverless.yml declares: HTTP routes, event rules, schedules, the SES receipt rule. */
  triggers: Triggers;
  /** State only in memory (tests, benchmarks): no spools, buckets or journals on disk. */
  inMemory: boolean;
  /** Lambda's asynchronous invocation (SES, EventBridge, Scheduler): retries, failed spool. */
  invoker: AsyncInvoker;
  /** The local EventBridge: the engine's status-change events, the rules of serverless.yml. */
  bus: LocalEventBus;
  outbox?: OutboxMailer;
  /** Every log line the handlers wrote in this process (also appended to the log file). */
  logLines: string[];
  logFile: string;
  /** actions-sync in the sandbox: the simulated tool, the GHES REST server, the issued token. */
  actionsSync?: ActionsSyncSandbox;
  /** The runbook workflows' world around the sandbox (prefix lists, ranges server, TLS). */
  runbook: RunbookSandbox;
  /** Stops what the world started (the sandbox GHES server, and what was added with `onClose`). */
  close(): Promise<void>;
  /** Registers something `close` stops too, last added first (servers started for one workflow). */
  onClose(stop: () => Promise<void>): void;
  /** The execution store on disk (`<stateDir>/executions`); none in memory-only worlds. */
  records?: ExecutionRecords;
}

export interface WorldOptions {
  root: string;
  config: LocalConfig;
  onEvent?: (event: HistoryEvent, executionArn: string) => void;
  /** Keep mail in memory only (tests). */
  inMemory?: boolean;
  /** Extra sandbox options (benchmarks: `zeroDelays`). */
  sandbox?: Omit<SandboxOptions, 'scenario' | 'clock'>;
  /** Record this world's executions in the execution store, as run by the CLI or the stack. */
  record?: ExecutionSource;
}

/** The local mail bucket's name (`<stateDir>/buckets/<name>/`). */
export const LOCAL_MAIL_BUCKET = 'ghes-ops-local-mail';

export function createLocalWorld(opts: WorldOptions): LocalWorld {
  const { config, root } = opts;
  const clock = scaledClock(config.local.timeScale);
  const stateDir = config.local.stateDir;
  if (!opts.inMemory) mkdirSync(stateDir, { recursive: true });
  const logFile = path.join(stateDir, 'ghes-ops.log');
  const logLines: string[] = [];
  const log: Logger = createLogger({
    level: 'debug',
    fields: { stage: config.stage },
    write: (line) => {
      logLines.push(line);
      if (!opts.inMemory) appendFileSync(logFile, line + '\n');
    },
  });

  let sandbox: Sandbox | undefined;
  let runner: CommandRunner;
  if (config.appliance.runner === 'sandbox') {
    sandbox = new Sandbox({ ...opts.sandbox, scenario: config.local.scenario, clock });
    runner = sandbox.runner;
  } else {
    const ssh = config.appliance.ssh ?? { user: 'admin', port: 122 };
    runner = new SshCommandRunner({ ...ssh, clock });
  }

  let outbox: OutboxMailer | undefined;
  let mailer: Mailer;
  const smtp = config.local.mail.smtp;
  if (config.local.mail.transport === 'smtp' && smtp) {
    mailer = new SmtpMailer({
      host: smtp.host,
      port: smtp.port,
      ...(smtp.secure !== undefined ? { secure: smtp.secure } : {}),
      ...(smtp.user && smtp.password ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
    });
  } else {
    outbox = new OutboxMailer(opts.inMemory ? {} : { dir: path.join(stateDir, 'outbox') });
    mailer = outbox;
  }

  const engine = new LocalEngine({ root, clock, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
  const triggers = readTriggers(root, { region: engine.region, account: engine.account });
  // The service desk's settings where a Lambda has them (GHES_OPS_SERVICE_DESK), with the local
  // twin of the mail bucket (raw inbound mail, attachments).
  config.serviceDesk = {
    desk: config.local.serviceDesk.desk,
    mailBucket: LOCAL_MAIL_BUCKET,
    inboundPrefix: triggers.ses?.inboundPrefix ?? 'inbound/',
  };
  const file = new FileParameterStore(
    opts.inMemory
      ? path.join(stateDir, `parameters-${process.pid}-${Date.now()}.json`)
      : path.join(stateDir, 'parameters.json'),
  );
  const scoped = sandbox ? sandboxScopedParams(file, config.parameterPrefix) : file;
  const actionsSync = sandbox ? installActionsSync(sandbox, scoped, config.parameterPrefix) : undefined;
  const params = actionsSync ? actionsSync.params : scoped;
  const ghesApi =
    actionsSync?.api ??
    new FetchGhesApi({
      baseUrl: async () => {
        throw new ConfigError(
          'No GHES URL locally with a real appliance: pass destinationUrl in the actions-sync input.',
        );
      },
    });
  const { cloud, ...failover } = localFailoverDeps(
    sandbox,
    params,
    config.parameterPrefix,
    sandbox ? undefined : config.aws,
  );
  const runbook = installRunbook(sandbox, config);
  const deps: Deps = {
    config,
    clock,
    wallClock: realClock,
    log,
    runner,
    params,
    mailer,
    executions: new LocalExecutions(engine),
    ...failover,
    ghesApi,
    rawMail: new FileRawMailStore(opts.inMemory ? undefined : path.join(stateDir, 'buckets')),
    // The GHES of the local config (the sandbox GHES by default), as in AWS: the GitHub App's
    // installation when one is registered, else the token parameter.
    tickets: restTickets({ config, params }),
    smtpSubmission: new NodemailerSmtpSubmission(),
    // Real time: the records serve limits that are real time (GitHub's hour, mail retries, bursts).
    records: new JournalRecordStore(
      realClock,
      opts.inMemory ? undefined : path.join(stateDir, 'records.jsonl'),
    ),
    ...runbook.deps,
  };
  setDeps(deps);
  const invoker = new AsyncInvoker({
    invoke: (key, event) => engine.invokeFunction(key, event),
    functionArn: (key) => engine.functionArn(key),
    clock,
    log: log.child({ fn: 'lambda' }),
    ...(opts.inMemory ? {} : { failedDir: (key: string) => path.join(stateDir, 'failed', key) }),
  });
  const bus = new LocalEventBus({
    engine,
    rules: triggers.rules,
    invoker,
    log: log.child({ fn: 'eventbridge' }),
  });
  const closers: (() => Promise<void>)[] = [];
  const records = opts.inMemory ? undefined : new ExecutionRecords(path.join(stateDir, 'executions'));
  if (records && opts.record) records.attach(engine, opts.record);
  return {
    ...(records ? { records } : {}),
    config,
    clock,
    engine,
    deps,
    ...(sandbox ? { sandbox } : {}),
    ...(cloud ? { cloud } : {}),
    failoverSettled: () => bus.settled(),
    inMemory: opts.inMemory === true,
    triggers,
    invoker,
    bus,
    ...(outbox ? { outbox } : {}),
    logLines,
    logFile,
    ...(actionsSync ? { actionsSync } : {}),
    runbook,
    onClose: (stop) => void closers.unshift(stop),
    close: async () => {
      for (const stop of closers.splice(0)) await stop();
      await actionsSync?.close();
      await runbook.close();
    },
  };
}
