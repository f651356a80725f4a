import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { causeMessage } from '../../shared/errors.js';
import { WORKFLOWS, workflow } from '../../shared/workflows.js';
import { displayConfig, loadLocalConfig, type LocalConfig } from '../config.js';
import { createLocalWorld, type LocalWorld } from '../world.js';
import { startCustomEmailSandbox } from '../custom-email-world.js';
import { SCENARIOS } from '../sandbox/scenarios.js';
import { readInputArg } from './input.js';
import { progressPrinter } from './progress.js';
import { startStack } from '../start.js';
import { approveCommand } from './approve.js';
import { answerApprovals } from './run-approval.js';
import { isApprovalWorkflow } from '../../shared/approval/gate.js';
import { stopOnSignal } from './interrupt.js';
import { APP_USAGE, appCommand } from './app.js';
import { DESK_USAGE, deskCommand } from './desk.js';
import { AWS_USAGE, awsCommand } from './aws.js';
import { userInfo } from 'node:os';
import {
  decideOnStack,
  followOnStack,
  runningStack,
  stackIdentityAt,
  stackMismatch,
  stackHeaders,
  useStackToken,
  stackUrl,
  stopOnStack,
} from './stack-client.js';
import {
  VIEWS_USAGE,
  deskTicketsCommand,
  executionCommand,
  executionsCommand,
  outboxCommand,
} from './views.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const USAGE = `ghes-ops: run the GHES operations workflows locally, against the sandbox or your appliance.

Usage:
  ghes-ops run <workflow> --input <json|@file> [--scenario <name>] [--config <file>] [--time-scale <n>] [--name <execution>] [--in-process]
  ghes-ops workflows                 list the workflows and their inputs
  ghes-ops scenarios                 list the sandbox fault scenarios
  ghes-ops config --json [--config <file>]
                                     print the effective configuration (secrets masked)
  ghes-ops start [--config <file>]   start the local stack (engine, schedules, HTTP)
  ghes-ops approve|reject <execution> [--reason <text>] [--url <local stack>]
                                     decide an execution waiting for approval (failover, jira-prefix-list,
                                     tls-certificate; on the running local stack)
  ghes-ops confirm-traffic <execution> [--failed] [--reason <text>] [--url <local stack>]
                                     failover with manual traffic: say the record was switched (or not)
  ghes-ops sandbox reset [--config <file>]
                                     rebuild the running stack's sandbox replica (as ghe-repl-setup
                                     would) and put traffic back on the primary, to fail over again
${VIEWS_USAGE}
${APP_USAGE}
${DESK_USAGE}
${AWS_USAGE}
  run failover|jira-prefix-list|tls-certificate ... [--approve|--reject] [--reason <text>]
                                     answer the approval wait in this run (a manual traffic
                                     switch is confirmed in the terminal only)

run submits the execution to the running \`ghes-ops start\` stack when one runs with the same
configuration (state directory, appliance, scenario, time scale), so it shows in its list and
console; otherwise (or with --in-process) it runs in this process. Either way it is recorded in
<stateDir>/executions. run exits 0 when the execution succeeded and 1 when it failed; progress
goes to stderr and the final output (JSON) to stdout. Ctrl-C (or SIGTERM) stops the execution
safely, as StopExecution: a failover stopped before promotion takes maintenance mode off again,
releases its lock and mails what happened; a second Ctrl-C exits at once, saying what was left.`;

/** The configuration, and the token of the stack started with its state directory (local/cli/stack-client.ts). */
async function loadConfig(file?: string): ReturnType<typeof loadLocalConfig> {
  const config = await loadLocalConfig(ROOT, file);
  useStackToken(config.local.stateDir);
  return config;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

async function configFor(values: {
  config?: string;
  scenario?: string;
  'time-scale'?: string;
}): Promise<LocalConfig> {
  const config = await loadConfig(values.config);
  if (values.scenario !== undefined) {
    if (config.appliance.runner !== 'sandbox')
      throw new UsageError(
        '--scenario only applies to the sandbox appliance, and the config selects a real one.',
      );
    if (!Object.hasOwn(SCENARIOS, values.scenario)) {
      throw new UsageError(
        `unknown scenario "${values.scenario}". Scenarios: ${Object.keys(SCENARIOS).join(', ')}`,
      );
    }
    config.local.scenario = values.scenario;
  }
  if (values['time-scale'] !== undefined) {
    const scale = Number(values['time-scale']);
    if (!(scale > 0 && scale <= 1))
      throw new UsageError('--time-scale must be a number in (0, 1], e.g. 0.01 for 100x faster.');
    if (config.appliance.runner !== 'sandbox' && scale !== 1)
      throw new UsageError('--time-scale only applies to the sandbox: a real appliance runs in real time.');
    config.local.timeScale = scale;
  }
  return config;
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i' },
      scenario: { type: 'string', short: 's' },
      config: { type: 'string', short: 'c' },
      'time-scale': { type: 'string' },
      name: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      approve: { type: 'boolean' },
      reject: { type: 'boolean' },
      reason: { type: 'string' },
      'in-process': { type: 'boolean' },
    },
  });
  const key = positionals[0];
  if (!key) throw new UsageError(`which workflow? One of: ${WORKFLOWS.map((w) => w.key).join(', ')}`);
  if (!workflow(key))
    throw new UsageError(`unknown workflow "${key}". Workflows: ${WORKFLOWS.map((w) => w.key).join(', ')}`);
  const input = await readInputArg(values.input);
  const config = await configFor(values);
  const write = (line: string): void => void process.stderr.write(line + '\n');
  const start = Date.now();
  const print = progressPrinter(write, start);
  // With a stack running on this configuration, the execution runs there (it shows in its list
  // and console); otherwise, or with --in-process, here. Both record it in the execution store.
  const stack = values['in-process'] ? undefined : await runningStack(config);
  if (stack) {
    const mismatch = stackMismatch(await stackIdentityAt(stack), config);
    if (mismatch.length === 0) return runSubmitted(stack, key, input, values, write, print);
    write(
      `a stack runs at ${stack}, but ${mismatch.join(', ')}: running in this process instead (recorded in ${path.relative(process.cwd(), path.join(config.local.stateDir, 'executions')) || '.'}, listed by the stack).`,
    );
  }
  const world = createLocalWorld({
    root: ROOT,
    config,
    record: 'cli',
    onEvent: values.quiet ? undefined : (e) => print({ ...e, timestamp: Date.parse(e.timestamp) }),
  });
  const target =
    config.appliance.runner === 'sandbox'
      ? `sandbox (scenario ${config.local.scenario})`
      : `${config.appliance.runner} ${config.appliance.primary}`;
  write(
    `ghes-ops run ${key} on ${target}; workflow time runs at ${config.local.timeScale === 1 ? 'real speed' : `${Math.round(1 / config.local.timeScale)}x speed`}`,
  );
  try {
    return await runIn(world, key, input, values, write);
  } finally {
    await world.close();
  }
}

async function runIn(
  world: LocalWorld,
  key: string,
  input: unknown,
  values: { name?: string; approve?: boolean; reject?: boolean; reason?: string },
  write: (line: string) => void,
): Promise<number> {
  // The local service desk and the sandbox mail provider this workflow sends through and hears from.
  const customEmail =
    key === 'custom-email-verification' ? await startCustomEmailSandbox(world, write) : undefined;
  const started = await world.engine.startExecution(key, input, values.name);
  if (isApprovalWorkflow(key))
    answerApprovals(
      world,
      started.executionArn,
      { approve: values.approve, reject: values.reject, reason: values.reason },
      write,
    );
  const interrupt = stopOnSignal(world, started.executionArn, write);
  let result;
  try {
    result = await world.engine.waitForExecution(started.executionArn);
    // The execution-ended rule's handler (restore, lock, mail) runs after the end: wait for it.
    await world.failoverSettled();
  } finally {
    interrupt.dispose();
  }
  await customEmail?.settled();
  for (const mail of world.outbox?.sent ?? [])
    write(
      `mail: "${mail.subject}" to ${mail.to.join(', ')}${mail.file ? ` (${path.relative(process.cwd(), mail.file)})` : ''}`,
    );
  write(`log: ${path.relative(process.cwd(), world.logFile)}`);
  if (result.status === 'SUCCEEDED') {
    process.stdout.write(JSON.stringify(result.output ?? null, null, 2) + '\n');
    return 0;
  }
  if (interrupt.stopped())
    write(
      `\nstopped by ${interrupt.stopped()}: ${world.outbox?.sent.at(-1)?.subject ?? 'see the log for what was restored'}`,
    );
  write(`\n${result.status}: ${result.error ?? ''}`);
  if (result.cause) write(causeMessage(result.cause));
  process.stdout.write(
    JSON.stringify(
      { status: result.status, error: result.error, cause: causeMessage(result.cause) },
      null,
      2,
    ) + '\n',
  );
  return 1;
}

/**
 * `ghes-ops run` on the running stack: submits the execution, prints its progress from the
 * stack's history, answers its approval gate with --approve/--reject, and stops it there on
 * Ctrl-C (a second Ctrl-C leaves at once; the stack finishes the stop). Same output and exit codes
 * as a run in this process.
 */
async function runSubmitted(
  url: string,
  key: string,
  input: unknown,
  values: { name?: string; approve?: boolean; reject?: boolean; reason?: string; quiet?: boolean },
  write: (line: string) => void,
  print: ReturnType<typeof progressPrinter>,
): Promise<number> {
  write(`ghes-ops run ${key} on the running stack ${url} (its scenario, time scale and console)`);
  let name: string | undefined;
  let stopping: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!name) process.exit(130);
    if (stopping) {
      write(
        `\n${signal} again: exiting now; the stack finishes stopping ${name} (ghes-ops execution ${key} ${name}).`,
      );
      process.exit(130);
    }
    stopping = signal;
    write(
      `\n${signal}: stopping ${name} on the stack safely (as StopExecution): a failover stopped before promotion takes maintenance mode off again and releases its lock. ${signal} again to exit at once.`,
    );
    stopOnStack(url, key, name, `${signal} from the operator (ghes-ops run)`).catch((e: Error) =>
      write(`  ${e.message}`),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const decision = values.approve ? 'approve' : values.reject ? 'reject' : undefined;
  let result;
  try {
    result = await followOnStack(url, key, input, {
      ...(values.name ? { name: values.name } : {}),
      onStarted: (arn) => {
        name = arn.split(':').at(-1);
        write(`started ${arn}`);
      },
      onEvent: (e, execution) => {
        if (!values.quiet) print({ ...e, timestamp: Date.parse(e.timestamp) });
        if (e.type !== 'TaskTokenIssued') return;
        if (e.stateName === 'ConfirmTrafficSwitch') {
          // Never answered by a flag: nobody can have switched traffic before being asked.
          write(
            `  waiting for the traffic switch: change the record (see the email), then ghes-ops confirm-traffic ${execution} (or --failed), or the console`,
          );
          return;
        }
        if (!decision) {
          write(
            `  waiting for approval: ghes-ops approve|reject ${execution}, the console, or the link in the email`,
          );
          return;
        }
        decideOnStack(url, execution, {
          decision,
          by: `${userInfo().username} (ghes-ops run)`,
          ...(values.reason ? { reason: values.reason } : {}),
        }).then(
          () => write(`  ${decision === 'approve' ? 'approved' : 'rejected'} ${execution}`),
          (error: Error) => write(`  approval failed: ${error.message}`),
        );
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  write(`on the stack: ${url}/executions/${key}/${result.name}`);
  if (result.status === 'SUCCEEDED') {
    process.stdout.write(JSON.stringify(result.output ?? null, null, 2) + '\n');
    return 0;
  }
  if (stopping) write(`\nstopped by ${stopping}`);
  write(`\n${result.status}: ${result.error ?? ''}`);
  if (result.cause) write(result.cause);
  process.stdout.write(
    JSON.stringify({ status: result.status, error: result.error, cause: result.cause }, null, 2) + '\n',
  );
  return 1;
}

/** `ghes-ops sandbox reset`: `POST /sandbox/reset` on the running stack (local/sandbox/reset.ts). */
async function sandboxCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' } },
  });
  if (positionals[0] !== 'reset' || positionals.length !== 1)
    throw new UsageError('usage: ghes-ops sandbox reset [--config <file>]');
  const config = await loadConfig(values.config);
  if (config.appliance.runner !== 'sandbox')
    throw new UsageError('sandbox reset: the configuration selects a real appliance, not the sandbox.');
  const url = await runningStack(config);
  if (!url) {
    console.log(
      `No stack runs at ${stackUrl(config)}: nothing to reset. Each \`ghes-ops run\` starts with a fresh sandbox; the sandbox of \`ghes-ops start\` lives as long as the stack.`,
    );
    return 0;
  }
  const identity = await stackIdentityAt(url);
  if (identity && path.resolve(identity.stateDir) !== path.resolve(config.local.stateDir)) {
    console.error(
      `ghes-ops: the stack at ${url} runs with the state directory ${identity.stateDir}, not ${config.local.stateDir}: pass the --config it was started with.`,
    );
    return 1;
  }
  const res = await fetch(`${url}/sandbox/reset`, { method: 'POST', headers: stackHeaders() });
  const body = (await res.json().catch(() => ({}))) as { lines?: string[]; message?: string };
  if (!res.ok) {
    console.error(`ghes-ops: sandbox reset refused: ${body.message ?? `HTTP ${res.status}`}`);
    return 1;
  }
  console.log(`sandbox of ${url} reset:`);
  for (const line of body.lines ?? []) console.log(`  ${line}`);
  return 0;
}

/** `--config <file>` taken out of a command's arguments. */
function configArg(args: string[]): { file: string | undefined; args: string[] } {
  const i = args.findIndex((a) => a === '--config' || a === '-c');
  return i >= 0
    ? { file: args[i + 1], args: [...args.slice(0, i), ...args.slice(i + 2)] }
    : { file: undefined, args };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listWorkflows(): void {
  for (const w of WORKFLOWS) {
    console.log(`${w.key}: ${w.title}\n  ${w.description}\n  inputs:`);
    for (const i of w.inputs)
      console.log(`    ${i.name}${i.required ? '' : '?'}: ${i.type}  ${i.description}`);
    console.log(`  example: ghes-ops run ${w.key} --input '${JSON.stringify(w.example)}'\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return run(rest);
    case 'workflows':
      listWorkflows();
      return 0;
    case 'scenarios': {
      const width = Math.max(...Object.keys(SCENARIOS).map((name) => name.length));
      for (const [name, description] of Object.entries(SCENARIOS))
        console.log(`${name.padEnd(width)}  ${description}`);
      return 0;
    }
    case 'config': {
      const { values } = parseArgs({
        args: rest,
        options: { json: { type: 'boolean' }, config: { type: 'string', short: 'c' } },
      });
      const config = await loadConfig(values.config);
      console.log(JSON.stringify(displayConfig(config), null, 2));
      return 0;
    }
    case 'approve':
    case 'reject':
    case 'confirm-traffic': {
      const config = await loadConfig();
      return approveCommand(cmd, rest, `http://${config.local.http.host}:${config.local.http.port}`);
    }
    case 'app': {
      const i = rest.indexOf('--config');
      const file = i >= 0 ? rest[i + 1] : undefined;
      const args = i >= 0 ? [...rest.slice(0, i), ...rest.slice(i + 2)] : rest;
      return appCommand(args, await loadConfig(file), { out: (l) => console.log(l) });
    }
    case 'executions':
    case 'execution':
    case 'outbox': {
      // The views of the running stack (or of the state directory): local/cli/views.ts.
      const { file, args } = configArg(rest);
      const config = await loadConfig(file);
      const io = { out: (l: string) => console.log(l), err: (l: string) => console.error(l) };
      if (cmd === 'executions') return executionsCommand(args, config, io);
      if (cmd === 'execution') return executionCommand(args, config, io);
      return outboxCommand(args, config, io);
    }
    case 'desk':
      if (rest[0] === 'tickets') {
        const { file, args } = configArg(rest.slice(1));
        return deskTicketsCommand(args, await loadConfig(file), {
          out: (l) => console.log(l),
          err: (l) => console.error(l),
        });
      }
      return deskCommand(rest, (file) => loadConfig(file), {
        out: (line) => console.log(line),
        err: (line) => console.error(line),
        stdin: readStdin,
        env: process.env,
        // `desk verify` runs the custom-email-verification workflow like `ghes-ops run`.
        run,
      });
    case 'aws':
      return awsCommand(rest, { out: (line) => console.log(line) });
    case 'sandbox':
      return sandboxCommand(rest);
    case 'start': {
      const { values } = parseArgs({
        args: rest,
        options: {
          config: { type: 'string', short: 'c' },
          scenario: { type: 'string' },
          'time-scale': { type: 'string' },
        },
      });
      await startStack(ROOT, await configFor(values));
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${cmd}".\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const e = error as Error;
    console.error(
      `ghes-ops: ${e.name === 'UsageError' || e.name === 'TypeError' ? '' : `${e.name}: `}${e.message}`,
    );
    process.exit(2);
  },
);
