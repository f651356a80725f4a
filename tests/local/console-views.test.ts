/**
 * The CLI views (`ghes-ops executions`, `execution`, `outbox`, `desk tickets`): the same views as
 * the console, from a running stack (its console API, with the token it leaves in the state dir)
 * or, without a stack, from the state directory.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { realClock } from '../../shared/clock.js';
import { DeskStore } from '../../shared/service-desk/store.js';
import { JournalRecordStore } from '../../local/adapters/journal-record-store.js';
import { OutboxMailer } from '../../local/adapters/outbox-mailer.js';
import { defaultConfig, type LocalConfig } from '../../local/config.js';
import { saveConsoleToken } from '../../local/console/auth.js';
import { ExecutionRecords } from '../../local/engine/execution-records.js';
import {
  deskTicketsCommand,
  executionCommand,
  executionsCommand,
  outboxCommand,
} from '../../local/cli/views.js';
import { deskAddresses } from '../../local/service-desk.js';
import type { ExecutionDetail, ExecutionSummary } from '../../local/views/executions.js';
import type { TicketView } from '../../local/views/desk.js';
import { consoleStack, type ConsoleStack } from '../helpers/local-console.js';
import { smtpSend } from '../helpers/local-desk.js';
import { ROOT } from '../helpers/local-world.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) }, out, err };
}
const parsed = <T>(lines: string[]): T => JSON.parse(lines.join('\n')) as T;

describe('with a running stack', () => {
  let s: ConsoleStack;
  beforeAll(async () => {
    s = await consoleStack();
    saveConsoleToken(s.world.config.local.stateDir, s.token);
  }, 20_000);
  afterAll(async () => s?.close());

  it('lists executions from every source and shows one with its states and history', async () => {
    const { executionArn } = await s.world.engine.startExecution(
      'backup-health',
      { maxAgeHours: 26 },
      'cli-view',
    );
    await s.world.engine.waitForExecution(executionArn);
    const list = capture();
    expect(await executionsCommand(['--json'], s.world.config, list.io)).toBe(0);
    const all = parsed<ExecutionSummary[]>(list.out);
    expect(all.find((e) => e.name === 'cli-view')).toMatchObject({ workflow: 'backup-health' });
    const text = capture();
    await executionsCommand([], s.world.config, text.io);
    expect(text.out.join('\n')).toMatch(/^backup-health\/cli-view\s+(SUCCEEDED|FAILED)/m);

    const one = capture();
    expect(await executionCommand(['backup-health', 'cli-view', '--json'], s.world.config, one.io)).toBe(0);
    const d = parsed<ExecutionDetail>(one.out);
    expect(d.history[0]!.type).toBe('ExecutionStarted');
    expect(d.history.at(-1)!.type).toMatch(/^Execution(Succeeded|Failed)$/);
    expect(Object.keys(d.states).length).toBeGreaterThan(2);
    const lines = capture();
    await executionCommand(['backup-health', 'cli-view'], s.world.config, lines.io);
    expect(lines.out[0]).toMatch(/^backup-health\/cli-view: /);
    expect(lines.out).toContain('history:');

    const missing = capture();
    expect(await executionCommand(['backup-health', 'nope'], s.world.config, missing.io)).toBe(1);
    expect(missing.err[0]).toContain('no execution backup-health/nope');
  }, 30_000);

  it('lists the tickets with participants and comments, and the outbox', async () => {
    const to = deskAddresses(s.world.config.serviceDesk!.desk)[0]!;
    await smtpSend(
      s.desk.smtpPort,
      { from: 'carol@example.com', to },
      `From: Carol <carol@example.com>\r\nTo: ${to}\r\nSubject: Runner offline\r\nMessage-ID: <r-1@example.com>\r\n\r\nOur runner is offline.\r\n`,
    );
    await s.desk.settled();
    const t = capture();
    expect(await deskTicketsCommand(['--json'], s.world.config, t.io)).toBe(0);
    const [ticket] = parsed<TicketView[]>(t.out);
    expect(ticket).toMatchObject({
      repo: 'acme/support-tickets',
      number: 1,
      title: 'Runner offline',
      state: 'open',
      participants: [{ address: 'carol@example.com', name: 'Carol' }],
    });
    expect(ticket!.body).toContain('Our runner is offline.');
    expect(ticket!.labels).toContain('service-desk');
    const text = capture();
    await deskTicketsCommand([], s.world.config, text.io);
    expect(text.out[0]).toMatch(/^acme\/support-tickets#1 \[open\] Runner offline/);
    expect(text.out[1]).toBe('  participants: Carol <carol@example.com>');

    const o = capture();
    await outboxCommand(['--json'], s.world.config, o.io);
    expect(parsed<{ to: string[] }[]>(o.out).some((m) => m.to.includes('carol@example.com'))).toBe(true);
  }, 20_000);

  it('says so when the stack refuses the token of the state dir', async () => {
    saveConsoleToken(s.world.config.local.stateDir, 'not-the-token');
    try {
      await expect(executionsCommand([], s.world.config, capture().io)).rejects.toThrow(
        'refused the console token',
      );
    } finally {
      saveConsoleToken(s.world.config.local.stateDir, s.token);
    }
  });
});

describe('without a stack: the state directory', () => {
  let config: LocalConfig;
  let configFile: string;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-views-'));
    config = defaultConfig(ROOT);
    config.local.stateDir = dir;
    config.local.http.port = 1; // nothing listens there
    configFile = path.join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ stateDir: dir, http: { port: 1 } }));
    // What a stopped stack left: an outbox file, the sandbox GHES journal, the desk's records.
    await new OutboxMailer({ dir: path.join(dir, 'outbox') }).send({
      from: 'ghes-ops <ghes-ops@localhost>',
      to: ['ops@example.com'],
      subject: 'Backup health: OK',
      text: 'All backups are fresh.',
    });
    // The sandbox GHES journal (one line per repository or issue as it now is).
    const issue = {
      id: 2,
      node_id: 'I_x',
      number: 1,
      title: 'Left from last time',
      body: 'hello',
      state: 'closed',
      labels: ['service-desk'],
      assignees: [],
      user: 'support-bot',
      comments: [{ id: 1001, body: '/reply done', user: 'mona', created_at: '2026-01-01T00:00:00.000Z' }],
      created_at: '2026-01-01T00:00:00.000Z',
      repo: 1,
    };
    const repo = {
      id: 1,
      node_id: 'R_x',
      owner: 'acme',
      name: 'support-tickets',
      private: true,
      labels: ['service-desk'],
      files: [],
    };
    mkdirSync(path.join(dir, 'sandbox-ghes'));
    writeFileSync(
      path.join(dir, 'sandbox-ghes', 'issues.jsonl'),
      `${JSON.stringify({ repo })}\n${JSON.stringify({ issue })}\n`,
    );
    await new DeskStore(
      new JournalRecordStore(realClock, path.join(dir, 'records.jsonl')),
      config.local.serviceDesk.desk.recordPrefix,
    ).saveTicket({
      repo: 'acme/support-tickets',
      number: 1,
      nodeId: 'I_x',
      title: 'Left from last time',
      project: 'acme-support',
      participants: [{ address: 'dave@example.com', replyKey: 'f'.repeat(32) }],
    });
  });

  it('reads tickets from the sandbox GHES journal and the desk records, never a reply key', async () => {
    const t = capture();
    expect(await deskTicketsCommand(['--json'], config, t.io)).toBe(0);
    const tickets = parsed<TicketView[]>(t.out);
    expect(tickets).toEqual([
      expect.objectContaining({
        number: 1,
        state: 'closed',
        participants: [{ address: 'dave@example.com' }],
        comments: [{ id: 1001, user: 'mona', createdAt: '2026-01-01T00:00:00.000Z', body: '/reply done' }],
      }),
    ]);
    expect(t.out.join('')).not.toContain('f'.repeat(32));
  });

  it('reads the outbox files and the executions on record (a ghes-ops run of another process)', async () => {
    const o = capture();
    await outboxCommand([], config, o.io);
    expect(o.out).toHaveLength(1);
    expect(o.out[0]).toMatch(/ops@example\.com {2}"Backup health: OK"/);

    const none = capture();
    expect(await executionsCommand(['--json'], config, none.io)).toBe(0);
    expect(parsed<unknown[]>(none.out)).toEqual([]);

    const arn = 'arn:aws:states:local:000000000000:execution:backup-health:nightly-1';
    new ExecutionRecords(path.join(config.local.stateDir, 'executions')).write({
      description: {
        executionArn: arn,
        stateMachine: 'backup-health',
        stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:backup-health',
        name: 'nightly-1',
        status: 'SUCCEEDED',
        input: {},
        output: { healthy: true },
        startDate: '2026-11-30T01:00:00.000Z',
        stopDate: '2026-11-30T01:00:02.000Z',
        workflowTime: {
          startDate: '2026-11-30T02:00:00.000Z',
          stopDate: '2026-11-30T02:03:20.000Z',
          timeScale: 100,
        },
      },
      history: [
        {
          id: 1,
          type: 'ExecutionStarted',
          timestamp: '2026-11-30T01:00:00.000Z',
          workflowTimestamp: '2026-11-30T02:00:00.000Z',
          stateName: '',
        },
      ],
      source: 'cli',
      pid: process.pid,
    });
    const e = capture();
    expect(await executionsCommand(['--json'], config, e.io)).toBe(0);
    expect(parsed<ExecutionSummary[]>(e.out)).toEqual([
      expect.objectContaining({
        workflow: 'backup-health',
        name: 'nightly-1',
        status: 'SUCCEEDED',
        startedAt: '2026-11-30T01:00:00.000Z',
        startDate: '2026-11-30T02:00:00.000Z',
      }),
    ]);
    const one = capture();
    expect(await executionCommand(['backup-health', 'nightly-1', '--json'], config, one.io)).toBe(0);
    expect(parsed<ExecutionDetail>(one.out).history.map((h) => h.type)).toEqual(['ExecutionStarted']);
    const missing = capture();
    expect(await executionCommand(['backup-health', 'nope'], config, missing.io)).toBe(1);
    expect(missing.err[0]).toContain('no execution backup-health/nope');
  });

  it('runs as the real CLI: ghes-ops outbox --json', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin', 'ghes-ops.mjs'), 'outbox', '--json', '--config', configFile],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { subject: string }[])[0]!.subject).toBe('Backup health: OK');
  }, 30_000);
});
