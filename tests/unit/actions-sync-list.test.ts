import { describe, expect, it } from '@jest/globals';
import { cacheSlug, parseActionsList, parseActionsListLines } from '../../shared/actions-sync/list.js';
import { ActionsListInvalid } from '../../shared/actions-sync/errors.js';
import { binaryBuild } from '../../shared/actions-sync/preflight.js';
import { actionsSyncSync, actionsSyncVersion } from '../../shared/appliance/actions-sync.js';
import { nextPollSeconds } from '../../shared/actions-sync/sync.js';
import { command, renderShell } from '../../shared/appliance/command.js';

describe('actions-sync list file', () => {
  it('reads owner/repo and upstream:destination, skipping comments and blank lines', () => {
    const entries = parseActionsList(
      '# c\n\nactions/checkout\r\n  8398a7/action-slack:actions/action-slack  \n',
    );
    expect(entries).toEqual([
      { name: 'actions/checkout', source: 'actions/checkout', destination: 'actions/checkout', line: 3 },
      {
        name: '8398a7/action-slack:actions/action-slack',
        source: '8398a7/action-slack',
        destination: 'actions/action-slack',
        line: 4,
      },
    ]);
    expect(cacheSlug(entries[1]!)).toBe('actions__action-slack');
  });

  it('lists every bad line with its number: injection, spaces, duplicates, bad names', () => {
    const { bad } = parseActionsListLines(
      'owner/repo; curl http://x | sh\nactions/checkout\nACTIONS/checkout\nnot-a-pair\na/b:c/d:e/f\n-bad/x\nok/repo # comment\na/$(id)\n',
    );
    expect(bad.map((b) => [b.line, b.problem.split(' ')[0]])).toEqual([
      [1, 'contains'],
      [3, 'duplicates'],
      [4, 'entry'],
      [5, 'has'],
      [6, 'entry'],
      [7, 'contains'],
      [8, 'contains'],
    ]);
    expect(() => parseActionsList('owner/repo; curl x')).toThrow(
      /line 1: "owner\/repo; curl x" contains ";"/,
    );
  });

  it('refuses an empty list', () => {
    expect(() => parseActionsList('# nothing\n\n')).toThrow(ActionsListInvalid);
    expect(() => parseActionsList('')).toThrow(/no entries/);
  });

  it('parses 10,000 entries quickly and refuses 10,001', () => {
    const list = Array.from({ length: 10_000 }, (_, i) => `org${i % 50}/repo-${i}`).join('\n');
    const t = performance.now();
    expect(parseActionsList(list)).toHaveLength(10_000);
    expect(performance.now() - t).toBeLessThan(1000);
    expect(() => parseActionsList(list + '\nextra/one')).toThrow(/10001 entries, at most 10000/);
  });

  it('names the binary build from file -L output', () => {
    expect(
      binaryBuild('/usr/local/bin/actions-sync: ELF 32-bit LSB executable, Intel 80386, version 1'),
    ).toBe('386');
    expect(binaryBuild('x: ELF 64-bit LSB executable, x86-64, version 1')).toBe('amd64');
    expect(binaryBuild('x: ELF 64-bit LSB executable, ARM aarch64')).toBe('arm64');
    expect(binaryBuild("x: cannot open `x' (No such file or directory)")).toBeUndefined();
  });

  it('polls soon, then about 15% of the elapsed time, in the Wait states the ASL has', () => {
    expect([0, 5, 13, 14, 20, 33, 34, 66, 67, 3600].map(nextPollSeconds)).toEqual([
      2, 2, 2, 2, 3, 3, 5, 5, 10, 10,
    ]);
  });

  it('runs the version of the binary by its path; other paths and names stay refused', () => {
    expect(renderShell(actionsSyncVersion('/usr/local/bin/actions-sync'))).toBe(
      '/usr/local/bin/actions-sync version',
    );
    for (const bad of [
      '/tmp/../bin/actions-sync',
      '/usr/bin/actions-sync-evil',
      'bin/actions-sync',
      '/bin/sh',
    ])
      expect(() => command(bad, 'version')).toThrow(TypeError);
  });

  it('builds the sync command with the token parameter name, never a token', () => {
    const line = renderShell(
      actionsSyncSync({
        tokenParameter: '/ghes-ops/actions-sync/token',
        cacheDir: '/c/actions__checkout',
        destinationUrl: 'https://ghes.example.com',
        repoName: 'actions/checkout',
        defaultBranchOnly: true,
        batchSize: 10,
        actionsAdminUser: 'actions-admin',
        githubAppAuth: false,
        binaryPath: '/usr/local/bin/actions-sync',
      }),
    );
    expect(line).toBe(
      'ghes-ops-actions-sync --binary /usr/local/bin/actions-sync --token-parameter /ghes-ops/actions-sync/token -- sync --cache-dir /c/actions__checkout --destination-url https://ghes.example.com --repo-name actions/checkout --default-branch-only --batch-size 10 --actions-admin-user actions-admin',
    );
  });
});
