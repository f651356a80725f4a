import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SshCommandRunner } from '../../local/adapters/ssh-runner.js';
import { defaultConfig } from '../../local/config.js';
import { realClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/logger.js';
import { preflight } from '../../shared/failover/preflight.js';
import { parseFailoverRequest } from '../../shared/failover/request.js';
import { restoreService } from '../../shared/failover/restore.js';
import type { Dns } from '../../shared/traffic/dns.js';
import type { LoadBalancer } from '../../shared/traffic/load-balancer.js';
import { ROOT } from '../helpers/local-world.js';
import { failure } from '../helpers/failure.js';

/**
 * The failover's read-only preflight and its restore, through the real SSH runner against a fake
 * `ssh` first on PATH that answers as an appliance with the documented formats: the
 * tests/fixtures/appliance files for ghe-repl-status (and its exit codes), ssh's own message and
 * exit status 255 for a host it cannot reach.
 */
const PRIMARY = 'ghes-1.example.com';
const REPLICA = 'ghes-2.example.com';
const UUID = '0b5f2a4e-6c1d-5e8f-9a7b-3c2d1e0f9a8b';
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'appliance');

const FAKE_SSH = `#!/bin/sh
for last in "$@"; do :; done
for a in "$@"; do case "$a" in admin@*) host="\${a#admin@}";; esac; done
printf '%s\\t%s\\n' "$host" "$last" >> "$FAKE_APPLIANCE_LOG"
case "$host" in *"$FAKE_DOWN"*) if [ -n "$FAKE_DOWN" ]; then
  printf 'ssh: connect to host %s port 122: Connection timed out\\n' "$host" >&2; exit 255; fi;; esac
case "$last" in
  "ghe-repl-status -vv") cat "$FAKE_REPL_FILE"; exit "$FAKE_REPL_EXIT";;
  "cat /data/user/common/uuid") printf '%s\\n' "${UUID}";;
  "ghe-version") printf 'GitHub Enterprise Server 3.18.1\\n';;
  "ghe-maintenance -u") if [ -n "$FAKE_MAINT_FAILS" ]; then echo "Error: could not reach the Manage API" >&2; exit 1; fi;;
  *) echo "unexpected: $last" >&2; exit 127;;
esac
`;

let dir: string;
const originalPath = process.env.PATH;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ghes-ops-ssh-appliance-'));
  writeFileSync(join(dir, 'ssh'), FAKE_SSH);
  chmodSync(join(dir, 'ssh'), 0o755);
  process.env.PATH = `${dir}:${originalPath}`;
  process.env.FAKE_APPLIANCE_LOG = join(dir, 'commands.log');
});

afterAll(() => {
  process.env.PATH = originalPath;
  for (const k of ['FAKE_APPLIANCE_LOG', 'FAKE_DOWN', 'FAKE_REPL_FILE', 'FAKE_REPL_EXIT', 'FAKE_MAINT_FAILS'])
    delete process.env[k];
  rmSync(dir, { recursive: true, force: true });
});

function appliance(env: { repl: string; exit: number; down?: string; maintFails?: boolean }): void {
  writeFileSync(process.env.FAKE_APPLIANCE_LOG!, '');
  process.env.FAKE_REPL_FILE = join(FIXTURES, env.repl);
  process.env.FAKE_REPL_EXIT = String(env.exit);
  process.env.FAKE_DOWN = env.down ?? '';
  process.env.FAKE_MAINT_FAILS = env.maintFails ? '1' : '';
}

const commands = (): string[] =>
  readFileSync(process.env.FAKE_APPLIANCE_LOG!, 'utf8').split('\n').filter(Boolean);

const config = (() => {
  const c = defaultConfig(ROOT);
  c.appliance = { runner: 'ssh', primary: PRIMARY, replica: REPLICA };
  return c;
})();

/** Route 53 with the public record pointing at the primary (an in-memory Dns, read only here). */
const dns: Dns = {
  records: async () => [{ name: 'github.example.com', type: 'CNAME', ttl: 60, values: [PRIMARY] }],
  upsert: async () => {
    throw new Error('preflight must not change DNS');
  },
  changeStatus: async () => 'PENDING',
};
const loadBalancer = {} as LoadBalancer;

function request(extra: Record<string, unknown> = {}) {
  return parseFailoverRequest(
    {
      mode: 'planned',
      primary: PRIMARY,
      replica: REPLICA,
      traffic: { route53: { hostedZoneId: 'Z0123456789ABC', recordName: 'github.example.com' } },
      reason: 'drill',
      ...extra,
    },
    config,
    { id: 'arn:aws:states:local:000000000000:execution:failover:ssh-1', name: 'ssh-1' },
  );
}

const deps = () => ({
  clock: realClock,
  log: createLogger({ level: 'error', write: () => undefined }),
  runner: new SshCommandRunner({ clock: realClock }),
  dns,
  loadBalancer,
  // Route 53 traffic here: preflight reads no HTTPS (manual traffic would).
  http: {
    status: () => Promise.reject(new Error('not used with Route 53 traffic')),
    drain: () => Promise.resolve(undefined),
  },
});

describe('failover preflight over SSH against an appliance printing the documented formats', () => {
  it('healthy: every channel of the -vv output parsed, the old primary UUID read, nothing changed', async () => {
    appliance({ repl: 'repl-status-healthy-vv.txt', exit: 0 });
    const seen = await preflight(request(), deps());
    expect(seen.verdict.healthy).toBe(true);
    expect(seen.channels.map((c) => c.name)).toEqual([
      'mysql',
      'mssql',
      'redis',
      'elasticsearch',
      'git',
      'pages',
      'alambic',
      'git-hooks',
      'consul',
    ]);
    expect(seen.oldPrimaryUuid).toBe(UUID);
    expect(seen.traffic.detail).toContain('points at the primary');
    expect(seen.replicaVersion).toEqual({ version: '3.18.1', seen: 'GitHub Enterprise Server 3.18.1' });
    expect(commands()).toEqual([
      `${REPLICA}\tghe-repl-status -vv`,
      `${REPLICA}\tghe-version`,
      `${PRIMARY}\tcat /data/user/common/uuid`,
    ]);
  });

  it('lagging (exit 2): ReplicationNotHealthy with each channel line, the primary not contacted', async () => {
    appliance({ repl: 'repl-status-lagging-v.txt', exit: 2 });
    const err = await failure(preflight(request({ maxReplicationLagSeconds: 10 }), deps()));
    expect(err.name).toBe('ReplicationNotHealthy');
    expect(err.message).toContain('ghe-repl-status exit code 2');
    expect(err.message).toContain('WARNING: mysql replication delay is 29s');
    expect(err.message).toContain(
      'CRITICAL: git replication is behind the primary by 150 repositories and/or gists',
    );
    expect(commands()).toEqual([`${REPLICA}\tghe-repl-status -vv`]);
  });

  it('planned with the primary unreachable (ssh exit 255): PrimaryUnreachable suggesting unplanned', async () => {
    appliance({ repl: 'repl-status-healthy-vv.txt', exit: 0, down: PRIMARY });
    const err = await failure(preflight(request(), deps()));
    expect(err.name).toBe('PrimaryUnreachable');
    expect(err.message).toContain(`ssh: connect to host ${PRIMARY} port 122: Connection timed out`);
    expect(err.message).toContain('"mode": "unplanned"');
  });

  it('restore after a stop before promotion: ghe-maintenance -u over SSH, and a failure said loudly', async () => {
    const lock = {
      mode: 'planned' as const,
      phase: 'fencing' as const,
      restoreOnAbort: true,
      primary: PRIMARY,
      replica: REPLICA,
    };
    appliance({ repl: 'repl-status-healthy-vv.txt', exit: 0 });
    expect(await restoreService(lock, deps())).toMatchObject({ state: 'restored' });
    expect(commands()).toEqual([`${PRIMARY}\tghe-maintenance -u`]);
    appliance({ repl: 'repl-status-healthy-vv.txt', exit: 0, maintFails: true });
    const failed = await restoreService({ ...lock, phase: 'replica-maintenance' }, deps());
    expect(failed.state).toBe('failed');
    expect(failed.note).toContain('COULD NOT TAKE MAINTENANCE MODE OFF');
    expect(failed.note).toContain('Error: could not reach the Manage API');
    expect(commands()).toEqual([`${PRIMARY}\tghe-maintenance -u`, `${REPLICA}\tghe-maintenance -u`]);
  });
});
