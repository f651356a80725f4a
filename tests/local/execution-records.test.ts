import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ExecutionRecords, type ExecutionRecord } from '../../local/engine/execution-records.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(): ExecutionRecords {
  const dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-records-'));
  dirs.push(dir);
  return new ExecutionRecords(dir);
}

function record(
  name: string,
  status: ExecutionRecord['description']['status'],
  pid: number,
): ExecutionRecord {
  return {
    description: {
      executionArn: `arn:aws:states:local:000000000000:execution:backup-health:${name}`,
      stateMachine: 'backup-health',
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:backup-health',
      name,
      status,
      input: {},
      startDate: `2026-11-30T01:00:0${name.at(-1)}.000Z`,
      workflowTime: { startDate: `2026-11-30T01:00:0${name.at(-1)}.000Z`, timeScale: 1 },
    },
    history: [],
    source: 'cli',
    pid,
  };
}

describe('the local execution store', () => {
  it('reads a record file again only when it changed, and sees other processes’ writes at once', () => {
    const records = store();
    records.write(record('run-1', 'SUCCEEDED', process.pid));
    records.write(record('run-2', 'RUNNING', process.pid));
    const first = records.list();
    expect(first.map((r) => [r.description.name, r.description.status])).toEqual([
      ['run-1', 'SUCCEEDED'],
      ['run-2', 'RUNNING'],
    ]);
    // Unchanged files: the parsed records are reused (no re-read of a long history).
    const second = records.list();
    expect(second[0]).toBe(first[0]);
    expect(second[1]).toBe(first[1]);

    // Another process (another store on the same directory) ends run-2 and removes run-1.
    const other = new ExecutionRecords(records.dir);
    other.write(record('run-2', 'SUCCEEDED', process.pid));
    rmSync(path.join(records.dir, 'backup-health', 'run-1.json'));
    const third = records.list();
    expect(third.map((r) => [r.description.name, r.description.status])).toEqual([['run-2', 'SUCCEEDED']]);
    expect(records.get('backup-health', 'run-1')).toBeUndefined();
  });

  it('a cached RUNNING record whose process is gone reads as ABORTED', () => {
    const records = store();
    const gone = 2 ** 22 + 12345; // above the default pid_max: no such process
    records.write(record('run-3', 'RUNNING', gone));
    expect(records.get('backup-health', 'run-3')?.description).toMatchObject({
      status: 'ABORTED',
      error: 'Local.ProcessExited',
    });
    expect(records.get('backup-health', 'run-3')?.description.status).toBe('ABORTED');
  });
});
