import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SshCommandRunner } from '../../local/adapters/ssh-runner.js';
import { defaultConfig } from '../../local/config.js';
import { manualClock } from '../../local/sandbox/manual-clock.js';
import { checkPromotion, startPromotion } from '../../shared/failover/promote.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { createLogger } from '../../shared/logger.js';
import { failure } from '../helpers/failure.js';
import { lockedFailoverState } from '../helpers/failover.js';
import { fakeShellAppliance, type FakeShellAppliance } from '../helpers/fake-shell-appliance.js';
import { ROOT } from '../helpers/local-world.js';

/**
 * `ghe-repl-promote -y` through the real SSH runner against a fake `ssh` first on PATH, which runs
 * the line it receives in a real `sh` (tests/helpers/fake-shell-appliance.ts) next to a fake
 * `ghe-repl-promote`: it prints the documented output's first phases, waits until the test
 * releases it, then prints the rest (or the documented failure) and exits. So the detached start
 * is proven in a real shell: ssh returns at once, the promotion outlives a dropped session, and
 * only the output file's end (the success line and `exit status 0`) makes it `succeeded`.
 */
const PRIMARY = 'ghes-1.example.com';
const REPLICA = 'ghes-2.example.com';
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'appliance');

/** The first two phases, a wait for the release, then the rest of the documented output (or the failure). */
const FAKE_PROMOTE = `#!/bin/sh
[ "$1" = "-y" ] || { echo "fake ghe-repl-promote: expected -y" >&2; exit 64; }
if [ -n "$FAKE_PROMOTE_FAILS" ]; then
  cat "$FAKE_FIXTURES/promote-fails.stdout.txt"
  while [ ! -f "$FAKE_ROOT/release" ]; do sleep 0.02; done
  cat "$FAKE_FIXTURES/promote-fails.stderr.txt" >&2
  exit 5
fi
head -n 8 "$FAKE_FIXTURES/promote-success.txt"
while [ ! -f "$FAKE_ROOT/release" ]; do sleep 0.02; done
tail -n 5 "$FAKE_FIXTURES/promote-success.txt"
`;

const FAKE_MAINTENANCE = `#!/bin/sh
echo "$@" >> "$FAKE_ROOT/maintenance.log"
`;

let fake: FakeShellAppliance;

beforeAll(() => {
  fake = fakeShellAppliance(
    'ghes-ops-ssh-promote-',
    { 'ghe-repl-promote': FAKE_PROMOTE, 'ghe-maintenance': FAKE_MAINTENANCE },
    { FAKE_FIXTURES: FIXTURES },
  );
});

beforeEach(() => {
  fake.reset(['release', 'maintenance.log']);
  delete process.env.FAKE_PROMOTE_FAILS;
});

afterAll(() => {
  delete process.env.FAKE_PROMOTE_FAILS;
  fake.close(['release']);
});

const commands = (): string[] => fake.commands();
const release = (): void => fake.flag('release');

const EXEC = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:ghes-ops-dev-failover:planned-2026-11-30',
  name: 'planned-2026-11-30',
};

function setup() {
  const config = defaultConfig(ROOT);
  config.appliance = { runner: 'ssh', primary: PRIMARY, replica: REPLICA, ssh: { user: 'admin', port: 122 } };
  const clock = manualClock();
  const { state, params, lockName } = lockedFailoverState(
    config,
    {
      mode: 'planned',
      traffic: { route53: { hostedZoneId: 'Z0123456789ABC', recordName: 'github.example.com' } },
      reason: 'planned maintenance of ghes-1',
      promotionTimeoutMinutes: 45,
    },
    EXEC,
    new Date(clock.now()).toISOString(),
    { phase: 'fencing' },
  );
  const deps = {
    clock,
    config,
    params,
    log: createLogger({ level: 'error', write: () => undefined }),
    runner: new SshCommandRunner({ clock }),
  };
  const phase = (): unknown => (JSON.parse(params.store.get(lockName)!) as { phase?: string }).phase;
  return { clock, state, deps, phase };
}

describe('ghe-repl-promote over SSH, detached, against a fake appliance shell', () => {
  it('runs detached: each poll reads its output, it survives a dropped session, succeeds only at the end', async () => {
    const { clock, state, deps, phase } = setup();
    const promotion = await startPromotion(state, deps);
    expect(promotion).toMatchObject({
      target: REPLICA,
      command: 'ghe-repl-promote -y',
      replicaMaintenance: 'set',
      deadline: new Date(clock.now() + 45 * 60_000).toISOString(),
    });
    expect(promotion.pid).toBeGreaterThan(0);
    expect(promotion.reattached).toBeUndefined();
    expect(promotion.outputFile).toMatch(/^\/tmp\/ghes-ops-repl-promote-planned-2026-11-30-\d+\.log$/);
    expect(phase()).toBe('promoting');
    expect(readFileSync(join(fake.root, 'maintenance.log'), 'utf8')).toBe('-s\n');
    const [checked, maint, start] = commands();
    expect(checked).toBe(`tail -n 1 ${promotion.outputFile}`); // not started by an earlier attempt
    expect(maint).toBe('ghe-maintenance -s');
    expect(start).toBe(
      `nohup setsid sh -c 'ghe-repl-promote -y; printf '\\''\\n[ghes-ops] exit status %s\\n'\\'' "$?"' > ${promotion.outputFile} 2>&1 < /dev/null & echo $!`,
    );

    let s: FailoverState = { ...state, promotion };
    for (let minute = 1; minute <= 5; minute++) {
      clock.advance(60_000);
      const check = await checkPromotion(s, deps);
      expect(check).toMatchObject({ state: 'running', polls: minute, elapsedSeconds: minute * 60 });
      s = { ...s, promotionCheck: check };
    }

    // The network path drops: ssh exits 255; the step fails (the state machine retries it) and
    // the promotion carries on: the next poll still sees it running.
    fake.dropNextSession();
    clock.advance(15_000);
    const dropped = await failure(checkPromotion(s, deps));
    expect(dropped.name).toBe('ApplianceUnreachable');
    clock.advance(15_000);
    expect(await checkPromotion(s, deps)).toMatchObject({ state: 'running' });

    release();
    await fake.ended(promotion.outputFile);
    clock.advance(15_000);
    const done = await checkPromotion(s, deps);
    expect(done).toMatchObject({ state: 'succeeded', polls: 6, elapsedSeconds: 345 });
    expect(done.output).toBe(readFileSync(join(FIXTURES, 'promote-success.txt'), 'utf8').trimEnd());
    expect(commands().filter((c) => c.includes('ghe-repl-promote -y'))).toHaveLength(1);
    expect(commands().filter((c) => c === `tail -n 200 ${promotion.outputFile}`)).toHaveLength(8);
  });

  it('a retried start finds the promotion it began and polls that one, without starting a second', async () => {
    const { state, deps } = setup();
    const first = await startPromotion(state, deps);
    const again = await startPromotion(state, deps);
    expect(again).toMatchObject({
      outputFile: first.outputFile,
      reattached: true,
      command: 'ghe-repl-promote -y',
    });
    expect(again.pid).toBeUndefined();
    expect(commands().filter((c) => c.includes('ghe-repl-promote -y'))).toHaveLength(1);
    expect(commands().filter((c) => c === 'ghe-maintenance -s')).toHaveLength(1);
    release();
    await fake.ended(first.outputFile);
    expect(await checkPromotion({ ...state, promotion: again }, deps)).toMatchObject({ state: 'succeeded' });
  });

  it('the documented failure: PromotionFailed with the phase, what the output confirmed and the known bug', async () => {
    process.env.FAKE_PROMOTE_FAILS = '1';
    const { clock, state, deps } = setup();
    const promotion = await startPromotion(state, deps);
    clock.advance(60_000);
    expect(await checkPromotion({ ...state, promotion }, deps)).toMatchObject({ state: 'running' });
    release();
    await fake.ended(promotion.outputFile);
    const err = await failure(checkPromotion({ ...state, promotion }, deps));
    expect(err.name).toBe('PromotionFailed');
    expect(err.message).toContain('KNOWN GHES BUG');
    expect(err.message).toContain('while stopping replication (phase 2 of 4)');
    expect(err.message).toContain('replication was stopped for all services');
    expect(err.message).toContain('the old primary could not be reached');
    expect(err.message).toContain('exit code 5');
    expect(err.message).not.toContain('[ghes-ops] exit status');
  });

  it('an output file that is gone (the replica restarted): PromotionFailed saying the outcome is unknown', async () => {
    const { clock, state, deps } = setup();
    const promotion = await startPromotion(state, deps);
    rmSync(fake.path(promotion.outputFile));
    clock.advance(60_000);
    const err = await failure(checkPromotion({ ...state, promotion }, deps));
    expect(err.name).toBe('PromotionFailed');
    expect(err.message).toContain(`The output file ${promotion.outputFile} of ghe-repl-promote -y is gone`);
    expect(err.message).toContain('outcome of the promotion is unknown');
    release();
  });

  it('past the deadline: PromotionTimeout naming the process and the output file', async () => {
    const { clock, state, deps } = setup();
    const promotion = await startPromotion(state, deps);
    clock.advance(46 * 60_000);
    const err = await failure(checkPromotion({ ...state, promotion }, deps));
    expect(err.name).toBe('PromotionTimeout');
    expect(err.message).toContain(`process ${promotion.pid}, output in ${promotion.outputFile}`);
    expect(err.message).toContain('Traffic was NOT switched');
    release();
  });

  it('refuses an output file that is not one of its own before running anything', async () => {
    const { state, deps } = setup();
    const promotion = await startPromotion(state, deps);
    const before = commands().length;
    const err = await failure(
      checkPromotion({ ...state, promotion: { ...promotion, outputFile: '--follow=/etc/passwd' } }, deps),
    );
    expect(err.name).toBe('InputValidationError');
    expect(err.message).toContain('outputFile: must be a detached command');
    expect(commands()).toHaveLength(before);
    release();
  });
});
