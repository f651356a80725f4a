import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../../local/config.js';
import { ExecutionRecords } from '../../local/engine/execution-records.js';
import type { LocalHttpServer } from '../../local/http-server.js';
import { localHttpApi } from '../../local/stack-api.js';
import { executionLine } from '../../local/start.js';
import { createLocalWorld, type LocalWorld } from '../../local/world.js';
import { ROOT } from '../helpers/local-world.js';

/** Runs the real CLI (bin/ghes-ops.mjs) without blocking this process (the stack answers meanwhile). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ghes-ops.mjs'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('ghes-ops run with a stack running', () => {
  let world: LocalWorld;
  let server: LocalHttpServer;
  let url: string;
  let configFile: string;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-stack-'));
    const config = defaultConfig(ROOT);
    config.local.stateDir = dir;
    config.local.timeScale = 0.001;
    world = createLocalWorld({ root: ROOT, config, record: 'stack' });
    server = localHttpApi(world);
    url = (await server.listen(0, '127.0.0.1')).url;
    const port = Number(new URL(url).port);
    configFile = path.join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ stateDir: dir, timeScale: 0.001, http: { port } }));
  });

  afterAll(async () => {
    await server.close();
    await world.bus.settled();
    await world.close();
  });

  it('submits the execution to the stack: it is in its list, with progress and output as in-process', async () => {
    const r = await cli([
      'run',
      'support-bundle',
      '--input',
      '{"ticket":"1234567"}',
      '--name',
      'submitted-1',
      '--config',
      configFile,
    ]);
    expect(r.stderr).toContain(`on the running stack ${url}`);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('> StartBundle');
    expect(r.stderr).toContain('execution succeeded');
    expect((JSON.parse(r.stdout) as { notification: { outcome: string } }).notification.outcome).toBe(
      'uploaded',
    );
    const d = world.engine.listExecutions().find((e) => e.name === 'submitted-1');
    expect(d).toMatchObject({ stateMachine: 'support-bundle', status: 'SUCCEEDED' });
    // Wall-clock times, the workflow's beside them (1000x faster here).
    expect(Date.parse(d!.stopDate!) - Date.parse(d!.startDate)).toBeLessThan(60_000);
    expect(Date.parse(d!.workflowTime.stopDate!)).toBeGreaterThan(Date.now() + 60_000);
    // Recorded in the store too.
    expect(world.records!.get('support-bundle', 'submitted-1')?.description.status).toBe('SUCCEEDED');
  }, 90_000);

  it('runs in its own process when the stack cannot honour the command line, and the stack lists it', async () => {
    const r = await cli([
      'run',
      'support-bundle',
      '--input',
      '{"ticket":"1234567"}',
      '--scenario',
      'upload-fails',
      '--name',
      'in-process-1',
      '--config',
      configFile,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `a stack runs at ${url}, but its scenario is healthy: running in this process instead`,
    );
    expect(world.engine.listExecutions().some((e) => e.name === 'in-process-1')).toBe(false);
    const list = (await (await fetch(`${url}/executions`)).json()) as {
      name: string;
      status: string;
      source: string;
    }[];
    expect(list.find((e) => e.name === 'in-process-1')).toMatchObject({ status: 'FAILED', source: 'cli' });
    expect(list.find((e) => e.name === 'submitted-1')).toMatchObject({ source: 'stack' });
    const one = (await (await fetch(`${url}/executions/support-bundle/in-process-1`)).json()) as {
      error: string;
      history: { type: string }[];
    };
    expect(one.error).toBe('SupportBundleFailed');
    expect(one.history.at(-1)?.type).toBe('ExecutionFailed');
  }, 90_000);

  it('answers the approval gate of a submitted failover with --approve; a reset lets it run again', async () => {
    const input = JSON.stringify({
      mode: 'planned',
      requireApproval: true,
      traffic: { route53: { hostedZoneId: 'Z0SANDBOX00000000000', recordName: 'ghes.sandbox.test' } },
      reason: 'drill on the stack',
    });
    const run = (name: string) =>
      cli([
        'run',
        'failover',
        '--input',
        input,
        '--approve',
        '--name',
        name,
        '--quiet',
        '--config',
        configFile,
      ]);
    const first = await run('approved-1');
    expect(first.stderr).toContain('approved approved-1');
    expect(first.code).toBe(0);
    expect(world.sandbox!.appliance('ghe-replica').role).toBe('primary');
    expect((await fetch(`${url}/sandbox/reset`, { method: 'POST' })).status).toBe(200);
    const second = await run('approved-2');
    expect(second.code).toBe(0);
  }, 120_000);

  it('stops an execution on the stack (POST /executions/:workflow/:name/stop)', async () => {
    // A pair ready for a failover again (the test before promoted the replica).
    expect((await fetch(`${url}/sandbox/reset`, { method: 'POST' })).status).toBe(200);
    const { executionArn } = await world.engine.startExecution(
      'failover',
      {
        mode: 'planned',
        requireApproval: true,
        traffic: { route53: { hostedZoneId: 'Z0SANDBOX00000000000', recordName: 'ghes.sandbox.test' } },
        reason: 'stopped from the test',
      },
      'to-stop',
    );
    const res = await fetch(`${url}/executions/failover/to-stop/stop`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    expect((await world.engine.waitForExecution(executionArn)).status).toBe('ABORTED');
    expect((await fetch(`${url}/executions/failover/nope/stop`, { method: 'POST' })).status).toBe(404);
  }, 30_000);
});

describe('the execution store', () => {
  it('reads a RUNNING record of a process that is gone as ABORTED, and refuses unsafe names', () => {
    const records = new ExecutionRecords(mkdtempSync(path.join(tmpdir(), 'ghes-ops-records-')));
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const description = {
      executionArn: 'arn:aws:states:local:000000000000:execution:failover:cut-short',
      stateMachine: 'failover',
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:failover',
      name: 'cut-short',
      status: 'RUNNING' as const,
      input: {},
      startDate: '2026-01-01T00:00:00.000Z',
      workflowTime: { startDate: '2026-01-01T00:00:00.000Z', timeScale: 0.1 },
    };
    records.write({ description, history: [], source: 'cli', pid: gone });
    expect(records.get('failover', 'cut-short')?.description).toMatchObject({
      status: 'ABORTED',
      error: 'Local.ProcessExited',
    });
    records.write({
      description: { ...description, name: 'alive' },
      history: [],
      source: 'cli',
      pid: process.pid,
    });
    expect(records.get('failover', 'alive')?.description.status).toBe('RUNNING');
    expect(records.get('..', 'x')).toBeUndefined();
    expect(
      records
        .list()
        .map((r) => r.description.name)
        .sort(),
    ).toEqual(['alive', 'cut-short']);
  });

  it('npm start prints one line per execution started and ended, with wall and workflow time', () => {
    const base = {
      stateMachine: 'failover',
      executionArn: 'arn:aws:states:local:000000000000:execution:failover:drill-1',
    };
    const describe = () => ({
      startDate: '2026-11-30T12:00:00.000Z',
      stopDate: '2026-11-30T12:00:15.200Z',
      workflowTime: {
        startDate: '2026-11-30T12:00:00.000Z',
        stopDate: '2026-11-30T12:02:32.000Z',
        timeScale: 0.1,
      },
    });
    expect(
      executionLine({ ...base, type: 'ExecutionStarted', timestamp: '2026-11-30T12:00:00.000Z' }, describe),
    ).toBe('2026-11-30T12:00:00.000Z execution failover/drill-1 started');
    expect(
      executionLine({ ...base, type: 'ExecutionSucceeded', timestamp: '2026-11-30T12:00:15.200Z' }, describe),
    ).toBe('2026-11-30T12:00:15.200Z execution failover/drill-1 SUCCEEDED in 15.2s (workflow time 2m32s)');
    expect(
      executionLine(
        { ...base, type: 'ExecutionFailed', timestamp: '2026-11-30T12:00:15.200Z', error: 'PreflightFailed' },
        describe,
      ),
    ).toContain('FAILED in 15.2s (workflow time 2m32s): PreflightFailed');
    expect(executionLine({ ...base, type: 'StateEntered', timestamp: 'x' }, describe)).toBeUndefined();
  });
});
