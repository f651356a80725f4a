import { describe, expect, it } from '@jest/globals';
import { applianceUuid } from '../../local/sandbox/appliance-state.js';
import { command, manualSandbox, pipe, run } from './helpers.js';

describe('cat, uname, ghe-org-admin-promote', () => {
  it('cat prints the file map; every node has its own uuid', async () => {
    const { sandbox } = manualSandbox();
    const primary = await run(sandbox, 'ghe-primary', command('cat', '/data/user/common/uuid'));
    const replica = await run(sandbox, 'ghe-replica', command('cat', '/data/user/common/uuid'));
    expect(primary).toEqual({
      status: 'Success',
      exitCode: 0,
      stdout: `${applianceUuid('ghe-primary')}\n`,
      stderr: '',
    });
    expect(replica.stdout).toBe(`${applianceUuid('ghe-replica')}\n`);
    expect(primary.stdout).not.toBe(replica.stdout);
    expect(primary.stdout.trim()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(sandbox.appliance('ghe-primary').uuid).toBe(primary.stdout.trim());
  });

  it('cat: a missing file is exit 1 with the GNU message; the status file does not exist before a bundle', async () => {
    const { sandbox } = manualSandbox();
    expect(await run(sandbox, 'ghe-primary', command('cat', '/tmp/ghe-support-bundle-status'))).toEqual({
      status: 'Failed',
      exitCode: 1,
      stdout: '',
      stderr: 'cat: /tmp/ghe-support-bundle-status: No such file or directory\n',
    });
    const mixed = await run(
      sandbox,
      'ghe-primary',
      command('cat', '/data/user/common', '/data/user/common/uuid'),
    );
    expect(mixed).toMatchObject({
      exitCode: 1,
      stderr: 'cat: /data/user/common: Is a directory\n',
      stdout: `${applianceUuid('ghe-primary')}\n`,
    });
  });

  it('cat reads a pipe', async () => {
    const { sandbox } = manualSandbox();
    const result = await run(sandbox, 'ghe-replica', pipe(['ghe-repl-status'], ['cat']));
    expect(result.stdout.split('\n')[0]).toBe('OK: mysql replication in sync');
  });

  it('uname -m is x86_64; uname is Linux; bad options are refused', async () => {
    const { sandbox } = manualSandbox();
    expect((await run(sandbox, 'ghe-primary', command('uname', '-m'))).stdout).toBe('x86_64\n');
    expect((await run(sandbox, 'ghe-primary', command('uname'))).stdout).toBe('Linux\n');
    expect((await run(sandbox, 'ghe-primary', command('uname', '-sm'))).stdout).toBe('Linux x86_64\n');
    expect(await run(sandbox, 'ghe-primary', command('uname', '-q'))).toMatchObject({
      exitCode: 1,
      stderr: "uname: invalid option -- 'q'\nTry 'uname --help' for more information.\n",
    });
  });

  it('ghe-org-admin-promote -u USER -o ORG -y makes the user an owner', async () => {
    const { sandbox } = manualSandbox();
    expect(sandbox.orgOwners('actions')).toEqual([]);
    const result = await run(
      sandbox,
      'ghe-primary',
      command('ghe-org-admin-promote', '-u', 'octocat', '-o', 'actions', '-y'),
    );
    expect(result).toEqual({
      status: 'Success',
      exitCode: 0,
      stdout: 'octocat is now an owner of actions.\n',
      stderr: '',
    });
    expect(sandbox.orgOwners('actions')).toEqual(['octocat']);
    const again = await run(
      sandbox,
      'ghe-primary',
      command('ghe-org-admin-promote', '-u', 'octocat', '-o', 'actions', '-y'),
    );
    expect(again.stdout).toBe('octocat is already an owner of actions.\n');
  });

  it('ghe-org-admin-promote without -y asks, reads no answer, and aborts', async () => {
    const { sandbox } = manualSandbox();
    const result = await run(
      sandbox,
      'ghe-primary',
      command('ghe-org-admin-promote', '-u', 'octocat', '-o', 'actions'),
    );
    expect(result).toMatchObject({
      exitCode: 1,
      stdout:
        'Give octocat owner privileges in actions? [y/N] \nAborted: no confirmation (use -y to run without asking).\n',
    });
    expect(sandbox.orgOwners('actions')).toEqual([]);
  });

  it.each([
    [['-u', 'nobody', '-o', 'actions', '-y'], 'ghe-primary', 'Error: user nobody does not exist.'],
    [['-u', 'octocat', '-o', 'nowhere', '-y'], 'ghe-primary', 'Error: organization nowhere does not exist.'],
    [
      ['-u', 'octocat', '-y'],
      'ghe-primary',
      'Error: octocat is not a site admin; only site admins can be made owners of all organizations.',
    ],
    [
      ['-u', 'octocat', '-o', 'actions', '-y'],
      'ghe-replica',
      'Error: ghe-replica is a replica; run ghe-org-admin-promote on the primary.',
    ],
  ])('ghe-org-admin-promote %j on %s fails: %s', async (args, target, message) => {
    const { sandbox } = manualSandbox();
    expect(await run(sandbox, target, command('ghe-org-admin-promote', ...args))).toMatchObject({
      exitCode: 1,
      stderr: `${message}\n`,
    });
    expect(sandbox.orgOwners('actions')).toEqual([]);
  });

  it('users added by tests can be promoted; site admins go to every organization with -u alone', async () => {
    const { sandbox } = manualSandbox();
    sandbox.addUser('sync-bot', { siteAdmin: true });
    sandbox.addOrganization('tools');
    const result = await run(
      sandbox,
      'ghe-primary',
      command('ghe-org-admin-promote', '-u', 'sync-bot', '-y'),
    );
    expect(result.stdout).toBe(
      'sync-bot is now an owner of actions.\nsync-bot is now an owner of github.\nsync-bot is now an owner of tools.\n',
    );
  });
});
