import path from 'node:path';
import { parseArgs } from 'node:util';
import { realClock } from '../../shared/clock.js';
import { DeskStore } from '../../shared/service-desk/store.js';
import { JournalRecordStore } from '../adapters/journal-record-store.js';
import { ExecutionRecords, recordedExecutions } from '../engine/execution-records.js';
import type { LocalConfig } from '../config.js';
import { readConsoleToken } from '../console/auth.js';
import { SandboxGhes } from '../sandbox/ghes/ghes-server.js';
import { SandboxIssues } from '../sandbox/ghes/issues-api.js';
import { Sandbox } from '../sandbox/sandbox.js';
import { SANDBOX_TICKETS_REPO } from '../service-desk.js';
import { formatTickets, ticketViews, type TicketView } from '../views/desk.js';
import {
  formatExecution,
  formatExecutionList,
  executionView,
  listExecutionViews,
  type ExecutionDetail,
  type ExecutionSummary,
} from '../views/executions.js';
import { formatOutbox, listOutbox, type OutboxItem } from '../views/outbox.js';
import { runningStack } from './stack-client.js';

/**
 * The CLI views (`ghes-ops executions`, `execution`, `outbox`, `desk tickets`): the same views as
 * the console (local/views/), from the running stack's console API when a stack answers (with the
 * token it keeps in the state directory), otherwise from the state directory itself: the outbox's
 * `.eml` files, the sandbox GHES's issues journal and the desk's records. Executions live in the
 * running stack's engine, so without a stack there are none to show, and the command says so.
 */
export const VIEWS_USAGE = `  ghes-ops executions [--json]       the executions of the running stack (every source), newest first
  ghes-ops execution <workflow> <name> [--json]
                                     one execution: its states and its history
  ghes-ops outbox [--json]           the mail the stack sent (state dir outbox), newest first
  ghes-ops desk tickets [--json]     the service desk's tickets with participants and comments`;

export interface ViewsIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export class StackUnavailable extends Error {
  override readonly name = 'StackUnavailable';
}

/** GETs a console API path of the running stack; undefined when no stack runs. */
async function fromStack<T>(
  config: LocalConfig,
  apiPath: string,
): Promise<{ status: number; body: T } | undefined> {
  const url = await runningStack(config);
  if (!url) return undefined;
  const token = readConsoleToken(config.local.stateDir);
  if (!token)
    throw new StackUnavailable(
      `a stack answers at ${url} but left no console token in ${path.join(config.local.stateDir, 'console-token')}: is it started with another state directory (--config)?`,
    );
  const res = await fetch(`${url}/console/api${apiPath}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status === 401)
    throw new StackUnavailable(
      `the stack at ${url} refused the console token of ${config.local.stateDir}: it was started by another user or with another state directory.`,
    );
  return { status: res.status, body: (await res.json()) as T };
}

/** No stack running: the executions on record in the state directory (local/engine/execution-records.ts). */
const recordedStore = (config: LocalConfig) =>
  recordedExecutions(undefined, new ExecutionRecords(path.join(config.local.stateDir, 'executions')));

function print(io: ViewsIo, json: boolean, value: unknown, lines: () => string[]): void {
  if (json) io.out(JSON.stringify(value, null, 2));
  else lines().forEach((l) => io.out(l));
}

/** Tickets from the state directory (no stack running): the sandbox GHES journal and the desk's records. */
export async function ticketsFromStateDir(config: LocalConfig): Promise<TicketView[]> {
  const stateDir = config.local.stateDir;
  const ghes = new SandboxGhes(new Sandbox({ clock: realClock }));
  const issues = new SandboxIssues(ghes, { journal: path.join(stateDir, 'sandbox-ghes', 'issues.jsonl') });
  const desk = config.local.serviceDesk.desk;
  const store = new DeskStore(
    new JournalRecordStore(realClock, path.join(stateDir, 'records.jsonl')),
    desk.recordPrefix,
  );
  return ticketViews({
    issues,
    store,
    repos: [...new Set([SANDBOX_TICKETS_REPO, ...desk.projects.map((p) => p.repo)])],
  });
}

export async function executionsCommand(args: string[], config: LocalConfig, io: ViewsIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const r = await fromStack<ExecutionSummary[]>(config, '/executions');
  const list = r ? r.body : listExecutionViews(recordedStore(config));
  print(io, values.json === true, list, () => formatExecutionList(list));
  return 0;
}

export async function executionCommand(args: string[], config: LocalConfig, io: ViewsIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const [workflow, name] = positionals;
  if (!workflow || !name) {
    io.err('usage: ghes-ops execution <workflow> <name> [--json]   (ghes-ops executions lists them)');
    return 2;
  }
  const r = await fromStack<ExecutionDetail>(
    config,
    `/executions/${encodeURIComponent(workflow)}/${encodeURIComponent(name)}`,
  );
  const d = r
    ? r.status === 404
      ? undefined
      : r.body
    : executionView(recordedStore(config), workflow, name);
  if (!d) {
    io.err(`no execution ${workflow}/${name} (ghes-ops executions lists them)`);
    return 1;
  }
  print(io, values.json === true, d, () => formatExecution(d));
  return 0;
}

export async function outboxCommand(args: string[], config: LocalConfig, io: ViewsIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const r = await fromStack<OutboxItem[]>(config, '/outbox');
  const items = r ? r.body : await listOutbox({ dir: path.join(config.local.stateDir, 'outbox') });
  print(io, values.json === true, items, () => formatOutbox(items));
  return 0;
}

export async function deskTicketsCommand(args: string[], config: LocalConfig, io: ViewsIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const r = await fromStack<TicketView[]>(config, '/desk/tickets');
  const tickets = r ? r.body : await ticketsFromStateDir(config);
  print(io, values.json === true, tickets, () => formatTickets(tickets));
  return 0;
}
