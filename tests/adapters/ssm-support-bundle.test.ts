import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  GetCommandInvocationCommand,
  SSMClient,
  SendCommandCommand,
  type GetCommandInvocationCommandInput,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { defaultConfig } from '../../local/config.js';
import { SsmCommandRunner } from '../../shared/aws/ssm-runner.js';
import { createLogger } from '../../shared/logger.js';
import { parseSupportBundleRequest } from '../../shared/support-bundle/request.js';
import { checkBundle, startBundle } from '../../shared/support-bundle/run-bundle.js';
import { failure } from '../helpers/failure.js';
import { ROOT } from '../helpers/local-world.js';
import { fakeClock } from './fake-clock.js';

/**
 * The detached support bundle over SSM Run Command, at the command level: the exact
 * AWS-RunShellScript lines sent, and GetCommandInvocation answers in the documented shape
 * (Status, ResponseCode, StandardOutputContent) for each of them.
 */
const ssm = mockClient(SSMClient);
const INSTANCE = 'i-0123456789abcdef0';
const PROGRESS =
  'Creating support bundle for ghe-primary (GitHub Enterprise Server 3.17.2) with logs from the last 2 days ...\n' +
  '  | Collecting system information ...\n';
const UPLOADED =
  'Uploading support bundle to GitHub Enterprise Support (ticket 1234567) ...\n' +
  'Upload complete: 54.0 MB sent and attached to ticket 1234567.\n';

/** What the appliance answers per command line: [exit code, stdout, stderr]. */
let answer: (line: string) => [number, string, string];
let sent: SendCommandCommandInput[];

beforeEach(() => {
  ssm.reset();
  sent = [];
  ssm.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => {
    sent.push(input);
    return { Command: { CommandId: `cmd-${sent.length}` } };
  });
  ssm.on(GetCommandInvocationCommand).callsFake((input: GetCommandInvocationCommandInput) => {
    const n = Number(input.CommandId?.slice(4));
    const line = sent[n - 1]?.Parameters?.commands?.[0] ?? '';
    const [code, stdout, stderr] = answer(line);
    return {
      CommandId: input.CommandId,
      InstanceId: INSTANCE,
      Status: code === 0 ? 'Success' : 'Failed',
      StatusDetails: code === 0 ? 'Success' : 'Failed',
      ResponseCode: code,
      StandardOutputContent: stdout,
      StandardErrorContent: stderr,
    };
  });
});

const config = (() => {
  const c = defaultConfig(ROOT);
  c.appliance = { runner: 'ssm', primary: INSTANCE };
  return c;
})();

/** The bundle logic's dependencies with the real SSM runner on a fake clock. */
function ssmDeps() {
  const clock = fakeClock();
  const deps = {
    clock,
    log: createLogger({ level: 'error', write: () => undefined }),
    runner: new SsmCommandRunner(new SSMClient({}), { clock }),
  };
  return { clock, deps };
}

describe('support bundle over SSM, detached', () => {
  const request = parseSupportBundleRequest({ ticket: '1234567' }, config);

  it('starts detached with one exact line, polls the status file and the tail, complete only at the end', async () => {
    const { clock, deps } = ssmDeps();
    let status = 'missing';
    let output = PROGRESS;
    answer = (line) => {
      if (line === 'cat /tmp/ghe-support-bundle-status')
        return status === 'missing'
          ? [1, '', 'cat: /tmp/ghe-support-bundle-status: No such file or directory\n']
          : [0, `${status}\n`, ''];
      if (line.startsWith('nohup setsid sh -c ')) return [0, '4242\n', ''];
      if (line.startsWith('tail -n 40 /tmp/ghes-ops-support-bundle-1234567-')) return [0, output, ''];
      return [127, '', `bash: ${line}: command not found\n`];
    };
    const progress = await startBundle(request, deps);
    const started = Date.parse('2025-03-01T10:00:00.000Z');
    const file = `/tmp/ghes-ops-support-bundle-1234567-${started}.log`;
    expect(progress).toMatchObject({ pid: 4242, outputFile: file, command: 'ghe-support-bundle -t 1234567' });
    expect(sent.map((s) => s.Parameters)).toEqual([
      { commands: ['cat /tmp/ghe-support-bundle-status'], executionTimeout: ['30'] },
      {
        commands: [
          `nohup setsid sh -c 'ghe-support-bundle -t 1234567; printf '\\''\\n[ghes-ops] exit status %s\\n'\\'' "$?"' > ${file} 2>&1 < /dev/null & echo $!`,
        ],
        executionTimeout: ['60'],
      },
    ]);
    expect(
      sent.every((s) => s.DocumentName === 'AWS-RunShellScript' && s.InstanceIds?.[0] === INSTANCE),
    ).toBe(true);

    status = 'running';
    clock.advance(300_000);
    expect(await checkBundle(request, progress, deps)).toMatchObject({
      state: 'running',
      statusFile: 'running',
    });
    // `complete` in the status file while the upload still runs (no exit status yet): still running.
    status = 'complete';
    clock.advance(300_000);
    expect(await checkBundle(request, progress, deps)).toMatchObject({
      state: 'running',
      statusFile: 'complete',
    });
    output = `${PROGRESS}${UPLOADED}\n[ghes-ops] exit status 0\n`;
    clock.advance(30_000);
    const done = await checkBundle(request, progress, deps);
    expect(done).toMatchObject({
      state: 'complete',
      statusFile: 'complete',
      exitStatus: 0,
      elapsedSeconds: 630,
    });
    expect(done.output).toBe(`${PROGRESS}${UPLOADED}`.trimEnd());
    // Each poll reads the output first, then the status file (final once the output has ended).
    expect(sent.slice(2).map((s) => s.Parameters?.commands?.[0])).toEqual([
      `tail -n 40 ${file}`,
      'cat /tmp/ghe-support-bundle-status',
      `tail -n 40 ${file}`,
      'cat /tmp/ghe-support-bundle-status',
      `tail -n 40 ${file}`,
      'cat /tmp/ghe-support-bundle-status',
    ]);
  });

  it('exit status 0 without "complete" in the status file is not reported uploaded', async () => {
    const { deps } = ssmDeps();
    answer = (line) => {
      if (line.startsWith('cat '))
        return [1, '', 'cat: /tmp/ghe-support-bundle-status: No such file or directory\n'];
      if (line.startsWith('nohup ')) return [0, '77\n', ''];
      return [0, `${PROGRESS}\n[ghes-ops] exit status 0\n`, ''];
    };
    const progress = await startBundle(request, deps);
    const err = await failure(checkBundle(request, progress, deps));
    expect(err.name).toBe('SupportBundleFailed');
    expect(err.message).toContain('does not say "complete", so the upload is not confirmed');
    expect(err.message).toContain('status file: unreadable');
  });

  it('the output file gone (appliance restarted): SupportBundleFailed naming the file', async () => {
    const { deps } = ssmDeps();
    let status: string | null = null;
    answer = (line) => {
      if (line.startsWith('cat '))
        return status === null
          ? [1, '', 'cat: /tmp/ghe-support-bundle-status: No such file or directory\n']
          : [0, status, ''];
      if (line.startsWith('nohup ')) return [0, '77\n', ''];
      const file = line.split(' ').at(-1) ?? '';
      return [1, '', `tail: cannot open '${file}' for reading: No such file or directory\n`];
    };
    const started = await startBundle(request, deps);
    status = 'running\n';
    const err = await failure(checkBundle(request, started, deps));
    expect(err.name).toBe('SupportBundleFailed');
    expect(err.message).toContain(
      `The output file ${started.outputFile} of ghe-support-bundle -t 1234567 is gone`,
    );
  });
});
