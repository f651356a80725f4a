import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SshCommandRunner } from '../../local/adapters/ssh-runner.js';
import { defaultConfig } from '../../local/config.js';
import { manualClock } from '../../local/sandbox/manual-clock.js';
import { createLogger } from '../../shared/logger.js';
import { parseSupportBundleRequest } from '../../shared/support-bundle/request.js';
import { checkBundle, startBundle } from '../../shared/support-bundle/run-bundle.js';
import { failure } from '../helpers/failure.js';
import { fakeShellAppliance, type FakeShellAppliance } from '../helpers/fake-shell-appliance.js';
import { ROOT, testWorld } from '../helpers/local-world.js';

/**
 * The support bundle through the real SSH runner against a fake `ssh` first on PATH. The fake runs
 * the line it receives in a real `sh` (with /tmp moved into a temp directory), next to a fake
 * `ghe-support-bundle` that writes `running` to the status file, prints the bundle fixture's
 * progress lines, waits until the test releases it, then writes `complete`, prints the upload
 * lines and exits. So the detached wrapper is proven in a real shell: ssh returns at once, the
 * bundle outlives it, and its output and exit status land in the file the polls read.
 */
const PRIMARY = 'ghes-1.example.com';
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'appliance', 'support-bundle-ticket.txt');

/** Progress (the fixture's first 7 lines), then waits for the release, then the upload lines. */
const FAKE_BUNDLE = `#!/bin/sh
echo running > "$FAKE_ROOT/tmp/ghe-support-bundle-status"
head -n 7 "$FAKE_FIXTURE"
while [ ! -f "$FAKE_ROOT/release" ]; do sleep 0.02; done
if [ -n "$FAKE_UPLOAD_FAILS" ]; then
  echo complete > "$FAKE_ROOT/tmp/ghe-support-bundle-status"
  sed -n 8p "$FAKE_FIXTURE"
  echo "Error: upload failed: could not connect to enterprise-bundles.github.com" >&2
  exit 1
fi
echo complete > "$FAKE_ROOT/tmp/ghe-support-bundle-status"
tail -n 2 "$FAKE_FIXTURE"
`;

let fake: FakeShellAppliance;

beforeAll(() => {
  fake = fakeShellAppliance(
    'ghes-ops-ssh-bundle-',
    { 'ghe-support-bundle': FAKE_BUNDLE },
    { FAKE_FIXTURE: FIXTURE },
  );
});

beforeEach(() => {
  fake.reset(['release']);
  delete process.env.FAKE_UPLOAD_FAILS;
});

afterAll(() => {
  delete process.env.FAKE_UPLOAD_FAILS;
  fake.close(['release']);
});

const commands = (): string[] => fake.commands();

const config = (() => {
  const c = defaultConfig(ROOT);
  c.appliance = { runner: 'ssh', primary: PRIMARY };
  return c;
})();

/** Waits (real time) until the detached bundle's output file ends with its exit status. */
async function bundleEnded(): Promise<void> {
  const file = /\/tmp\/ghes-ops-support-bundle-[\d-]+\.log/.exec(commands().join('\n'));
  if (!file) throw new Error('no bundle was started');
  await fake.ended(file[0]);
}

describe('support bundle over SSH, detached, against a fake appliance shell', () => {
  const clock = manualClock();
  const deps = () => ({
    clock,
    log: createLogger({ level: 'error', write: () => undefined }),
    runner: new SshCommandRunner({ clock }),
  });
  const request = parseSupportBundleRequest({ ticket: '1234567', timeoutMinutes: 60 }, config);

  it('stays running for minutes (each poll says so), survives a dropped session, and is complete only at the end', async () => {
    const d = deps();
    const progress = await startBundle(request, d);
    expect(progress.command).toBe('ghe-support-bundle -t 1234567');
    expect(progress.pid).toBeGreaterThan(0);
    expect(progress.outputFile).toMatch(/^\/tmp\/ghes-ops-support-bundle-1234567-\d+\.log$/);
    const [statusRead, start] = commands();
    expect(statusRead).toBe('cat /tmp/ghe-support-bundle-status');
    expect(start).toMatch(/^nohup setsid sh -c 'ghe-support-bundle -t 1234567; /);

    for (let minute = 2; minute <= 10; minute += 2) {
      clock.advance(120_000);
      const check = await checkBundle(request, progress, d);
      expect(check).toMatchObject({ state: 'running', statusFile: 'running', elapsedSeconds: minute * 60 });
      expect(check.output).toContain('Compressing support bundle ...');
      expect(check.exitStatus).toBeUndefined();
    }

    // The network path drops: ssh exits 255 with its keepalive message; the bundle carries on.
    fake.dropNextSession();
    clock.advance(60_000);
    const dropped = await failure(checkBundle(request, progress, d));
    expect(dropped.name).toBe('ApplianceUnreachable');
    expect(dropped.message).toContain(`Timeout, server ${PRIMARY} not responding.`);
    clock.advance(60_000);
    expect(await checkBundle(request, progress, d)).toMatchObject({
      state: 'running',
      statusFile: 'running',
    });

    fake.flag('release');
    await bundleEnded();
    clock.advance(30_000);
    const done = await checkBundle(request, progress, d);
    expect(done).toMatchObject({ state: 'complete', statusFile: 'complete', exitStatus: 0 });
    expect(done.elapsedSeconds).toBe(750);
    expect(done.output).toContain('Upload complete: 54.0 MB sent and attached to ticket 1234567.');
    expect(done.output).not.toContain('[ghes-ops] exit status');
    expect(
      commands().filter((c) => c.startsWith('tail -n 40 /tmp/ghes-ops-support-bundle-1234567-')),
    ).toHaveLength(8); // 7 polls, and the dropped session's (each poll reads the output first)
  });

  it('a failed upload: SupportBundleFailed with the exit status, the status file and the output', async () => {
    process.env.FAKE_UPLOAD_FAILS = '1';
    const d = deps();
    const progress = await startBundle(request, d);
    fake.flag('release');
    await bundleEnded();
    clock.advance(30_000);
    const err = await failure(checkBundle(request, progress, d));
    expect(err.name).toBe('SupportBundleFailed');
    expect(err.message).toContain('failed with exit status 1');
    expect(err.message).toContain('status file: "complete"');
    expect(err.message).toContain('Error: upload failed: could not connect to enterprise-bundles.github.com');
  });

  it('refuses to start while the status file says running', async () => {
    writeFileSync(fake.path('/tmp/ghe-support-bundle-status'), 'running\n');
    const err = await failure(startBundle(request, deps()));
    expect(err.name).toBe('SupportBundleFailed');
    expect(err.message).toContain('already being generated');
    expect(commands()).toEqual(['cat /tmp/ghe-support-bundle-status']);
  });
});

describe('support-bundle workflow over SSH (real ASL, local engine, fake appliance shell)', () => {
  it('a bundle running for minutes of workflow time is reported uploaded only once complete', async () => {
    const world = testWorld({
      config: (c) => {
        c.appliance = { runner: 'ssh', primary: PRIMARY };
      },
    });
    const { executionArn } = await world.engine.startExecution('support-bundle', {
      ticket: '1234567',
      notify: ['oncall@example.com'],
    });
    // Let the workflow poll the running bundle several times (30 s Wait states, 1000x faster).
    for (let i = 0; i < 500; i++) {
      if (commands().filter((c) => c === 'cat /tmp/ghe-support-bundle-status').length >= 9) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(world.outbox!.sent).toHaveLength(0);
    fake.flag('release');
    const result = await world.engine.waitForExecution(executionArn);
    await world.bus.settled();
    expect(result.status).toBe('SUCCEEDED');
    const history = world.engine.getExecutionHistory(executionArn);
    const checks = history
      .filter((e) => e.type === 'StateExited' && e.stateName === 'CheckBundle')
      .map(
        (e) => (e.output as { check: { state: string; statusFile?: string; elapsedSeconds: number } }).check,
      );
    const running = checks.filter((c) => c.state === 'running');
    expect(running.filter((c) => c.statusFile === 'running').length).toBeGreaterThanOrEqual(7);
    // A poll between the status file's `complete` and the command's end (the upload) still says running.
    expect(running.every((c) => c.statusFile === 'running' || c.statusFile === 'complete')).toBe(true);
    expect(checks.at(-1)).toMatchObject({ state: 'complete', statusFile: 'complete' });
    expect(checks.at(-1)!.elapsedSeconds).toBeGreaterThanOrEqual(240);
    expect(world.outbox!.sent).toHaveLength(1);
    expect(world.outbox!.sent[0]!.subject).toBe('[ghes-ops] Support bundle for ticket 1234567: uploaded');
    expect(world.outbox!.sent[0]!.text).toContain(
      'Upload complete: 54.0 MB sent and attached to ticket 1234567.',
    );
  });
});
