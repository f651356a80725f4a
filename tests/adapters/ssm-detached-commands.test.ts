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
import { checkPromotion, startPromotion } from '../../shared/failover/promote.js';
import { parseSupportBundleRequest } from '../../shared/support-bundle/request.js';
import { checkBundle, startBundle } from '../../shared/support-bundle/run-bundle.js';
import { failure } from '../helpers/failure.js';
import { lockedFailoverState } from '../helpers/failover.js';
import { ROOT } from '../helpers/local-world.js';
import { fakeClock } from './fake-clock.js';

/**
 * The detached support bundle and promotion over SSM Run Command, at the command level: the exact
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

describe('ghe-repl-promote over SSM, detached', () => {
  const REPLICA = 'i-0fedcba9876543210';
  const EXEC = {
    id: 'arn:aws:states:us-east-1:123456789012:execution:ghes-ops-dev-failover:planned-1',
    name: 'planned-1',
  };
  const acquiredAt = '2025-03-01T09:58:00.000Z';
  const FILE = `/tmp/ghes-ops-repl-promote-planned-1-${Date.parse(acquiredAt)}.log`;
  const PHASES = 'Enabling maintenance mode on the primary to prevent writes ...\nStopping replication ...\n';
  const DONE =
    'Applying configuration and starting services ...\nSuccess: Replica has been promoted to primary and is now accepting requests.\n';

  function promotionDeps() {
    const { clock, deps } = ssmDeps();
    const c = defaultConfig(ROOT);
    c.appliance = { runner: 'ssm', primary: INSTANCE, replica: REPLICA };
    const { state, params } = lockedFailoverState(
      c,
      {
        mode: 'planned',
        traffic: { route53: { hostedZoneId: 'Z0123456789ABC', recordName: 'github.example.com' } },
        primary: { target: INSTANCE, address: '10.0.1.15' },
        replica: { target: REPLICA, address: '10.0.2.15' },
        reason: 'planned maintenance',
      },
      EXEC,
      acquiredAt,
    );
    return { clock, state, deps: { ...deps, config: c, params } };
  }

  it('starts with one exact detached line on the replica, then each poll is one exact tail', async () => {
    const { clock, state, deps } = promotionDeps();
    let output = PHASES;
    let started = false;
    answer = (line) => {
      if (line === `tail -n 1 ${FILE}`)
        return started
          ? [0, PHASES.split('\n')[1]!, '']
          : [1, '', `tail: cannot open '${FILE}' for reading: No such file or directory\n`];
      if (line === 'ghe-maintenance -s') return [0, '', ''];
      if (line.startsWith('nohup setsid sh -c ')) {
        started = true;
        return [0, '5151\n', ''];
      }
      if (line === `tail -n 200 ${FILE}`) return [0, output, ''];
      return [127, '', `bash: ${line}: command not found\n`];
    };
    const promotion = await startPromotion(state, deps);
    expect(promotion).toMatchObject({
      pid: 5151,
      outputFile: FILE,
      target: REPLICA,
      command: 'ghe-repl-promote -y',
    });
    expect(sent.map((s) => [s.InstanceIds, s.DocumentName, s.Parameters])).toEqual([
      [[REPLICA], 'AWS-RunShellScript', { commands: [`tail -n 1 ${FILE}`], executionTimeout: ['30'] }],
      [[REPLICA], 'AWS-RunShellScript', { commands: ['ghe-maintenance -s'], executionTimeout: ['120'] }],
      [
        [REPLICA],
        'AWS-RunShellScript',
        {
          commands: [
            `nohup setsid sh -c 'ghe-repl-promote -y; printf '\\''\\n[ghes-ops] exit status %s\\n'\\'' "$?"' > ${FILE} 2>&1 < /dev/null & echo $!`,
          ],
          executionTimeout: ['60'],
        },
      ],
    ]);
    // A retried start (Lambda service error after it had started) does not start a second one.
    expect(await startPromotion(state, deps)).toMatchObject({ outputFile: FILE, reattached: true });
    expect(sent.slice(3).map((s) => s.Parameters?.commands?.[0])).toEqual([`tail -n 1 ${FILE}`]);

    clock.advance(15_000);
    expect(await checkPromotion({ ...state, promotion }, deps)).toMatchObject({ state: 'running', polls: 1 });
    output = `${PHASES}${DONE}\n[ghes-ops] exit status 0\n`;
    clock.advance(15_000);
    const done = await checkPromotion({ ...state, promotion }, deps);
    expect(done).toMatchObject({
      state: 'succeeded',
      elapsedSeconds: 30,
      output: `${PHASES}${DONE}`.trimEnd(),
    });
    expect(sent.slice(4).map((s) => [s.InstanceIds, s.Parameters])).toEqual([
      [[REPLICA], { commands: [`tail -n 200 ${FILE}`], executionTimeout: ['30'] }],
      [[REPLICA], { commands: [`tail -n 200 ${FILE}`], executionTimeout: ['30'] }],
    ]);
  });

  it('exit status 0 without the documented success line is not a promotion', async () => {
    const { state, deps } = promotionDeps();
    answer = (line) => {
      if (line === `tail -n 1 ${FILE}`)
        return [1, '', `tail: cannot open '${FILE}' for reading: No such file or directory\n`];
      if (line.startsWith('nohup ')) return [0, '77\n', ''];
      if (line.startsWith('tail -n 200 ')) return [0, `${PHASES}\n[ghes-ops] exit status 0\n`, ''];
      return [0, '', ''];
    };
    const promotion = await startPromotion(state, deps);
    const err = await failure(checkPromotion({ ...state, promotion }, deps));
    expect(err.name).toBe('PromotionFailed');
    expect(err.message).toContain('exited 0 but did not print the documented success line');
  });

  it('a launcher that fails: PromotionFailed that says it may or may not have started, the lock left at promoting', async () => {
    const { state, deps } = promotionDeps();
    answer = (line) => {
      if (line === `tail -n 1 ${FILE}`)
        return [1, '', `tail: cannot open '${FILE}' for reading: No such file or directory\n`];
      if (line.startsWith('nohup ')) return [1, '', 'sh: 1: setsid: not found\n'];
      return [0, '', ''];
    };
    const err = await failure(startPromotion(state, deps));
    expect(err.name).toBe('PromotionFailed');
    expect(err.message).toContain('could not be started detached');
    expect(err.message).toContain('it may or may not have started');
    expect(err.message).toContain('setsid: not found');
    const lock = JSON.parse((await deps.params.get(state.lock!.name))!) as { phase?: string };
    expect(lock.phase).toBe('promoting');
  });
});
