import type { CommandContext, CommandProgram, CommandSpec } from '../command-registry.js';
import type { SandboxGhes } from '../ghes/ghes-server.js';
import type { ActionsSyncSim, BinaryArch } from './sim.js';

/**
 * The sandbox's `actions-sync` (GitHub's CLI, ../shared/reference/ghes-appliance.md), the
 * `ghes-ops-actions-sync` wrapper installed next to it, and `file` (to read the binary's build).
 *
 * Messages follow the tool's source and the seed guide: `fetching * refs for X ...`,
 * `not using impersonation for the requests`, `syncing \`X\``, `Existing repo`/`Created repo`,
 * `repo successfully synced \`X\``, `error creating github repository ...`, `error syncing
 * repository ...`, `could not pull X, the repository may require authentication or does not
 * exist`; exit 1 on the first error (later repositories are not synced). As the real tool, it
 * prints `Existing repo` then `repo successfully synced` whether or not anything changed (ghes-ops
 * compares the destination's refs instead). Plausible, not exact: the flag validation lines.
 */
const ACTIONS_SYNC_VERSION_LINE = 'GHES Actions Sync v0.2';

const LONG_FLAGS = new Set([
  'cache-dir',
  'repo-name',
  'repo-name-list',
  'repo-name-list-file',
  'source-url',
  'source-token',
  'destination-url',
  'destination-token',
  'actions-admin-user',
  'batch-size',
]);
const BOOL_FLAGS = new Set(['default-branch-only', 'github-app-auth', 'disable-push-git-auth']);

interface Parsed {
  command: string;
  flags: Map<string, string>;
  error?: string;
}

function parseArgs(args: readonly string[]): Parsed {
  const [command = '', ...rest] = args;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) return { command, flags, error: `unknown command "${arg}" for "actions-sync ${command}"` };
    const name = m[1] as string;
    if (BOOL_FLAGS.has(name)) {
      flags.set(name, m[2] ?? 'true');
      continue;
    }
    if (!LONG_FLAGS.has(name)) return { command, flags, error: `unknown flag: --${name}` };
    const value = m[2] ?? rest[++i];
    if (value === undefined) return { command, flags, error: `flag needs an argument: --${name}` };
    flags.set(name, value);
  }
  return { command, flags };
}

const USAGE = [
  'Usage:',
  '  actions-sync [command]',
  '',
  'Available Commands:',
  '  pull        Pull a set of repositories from github.com into a cache directory',
  '  push        Push a set of repositories from a cache directory to a GHES instance',
  '  sync        Sync a set of repositories from github.com to a GHES instance',
  '  version     Print the version of actions-sync',
].join('\n');

const HOST_BUILD: Record<string, BinaryArch> = { x86_64: 'amd64', aarch64: 'arm64' };

function repoNames(ctx: CommandContext, flags: Map<string, string>): string[] | string {
  if (flags.has('repo-name')) return [flags.get('repo-name') as string];
  if (flags.has('repo-name-list')) return (flags.get('repo-name-list') as string).split(',').filter(Boolean);
  if (flags.has('repo-name-list-file')) {
    const path = flags.get('repo-name-list-file') as string;
    const file = ctx.node.files.get(path);
    if (!file) return `open ${path}: no such file or directory`;
    return file.content
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
  }
  return '--repo-name, --repo-name-list or --repo-name-list-file must be set';
}

export function actionsSyncCommands(sim: ActionsSyncSim, ghes: SandboxGhes): CommandSpec[] {
  function* actionsSync(ctx: CommandContext): CommandProgram {
    const build = sim.binaries.get(ctx.node.name);
    if (!build) {
      ctx.printErr(`bash: ${ctx.program}: command not found`);
      return 127;
    }
    const { command, flags, error } = parseArgs(ctx.args);
    if (command === 'version') {
      ctx.print(ACTIONS_SYNC_VERSION_LINE);
      return 0;
    }
    if (!['sync', 'push', 'pull'].includes(command) || error) {
      ctx.printErr(
        error ? `Error: ${error}` : `Error: unknown command "${command}" for "actions-sync"`,
        USAGE,
      );
      return 1;
    }
    const problems: string[] = [];
    if (!flags.get('cache-dir')) problems.push('--cache-dir must be set');
    if (command !== 'pull' && !flags.get('destination-url')) problems.push('--destination-url must be set');
    if (command !== 'pull' && !flags.get('destination-token'))
      problems.push('--destination-token must be set');
    const batch = flags.get('batch-size');
    if (batch !== undefined && !(/^\d+$/.test(batch) && (Number(batch) === 0 || Number(batch) >= 10)))
      problems.push('--batch-size must be 0 or at least 10');
    const names = repoNames(ctx, flags);
    if (typeof names === 'string') problems.push(names);
    if (problems.length) {
      ctx.printErr(...problems.map((p) => `Error: ${p}`));
      return 1;
    }
    const url = (flags.get('destination-url') as string).replace(/\/+$/, '');
    const token = flags.get('destination-token') as string;
    const auth = ghes.authenticate({ headers: { authorization: `token ${token}` } } as never);
    sim.calls.push({ node: ctx.node.name, repos: [...(names as string[])], args: [...ctx.args] });
    for (const name of names as string[]) {
      const [source = '', dest = source] = name.split(':');
      const [owner = '', repo = ''] = dest.split('/');
      ctx.print(`fetching * refs for ${source} ...`);
      yield sim.secondsPerAction / 2;
      const revision = sim.upstreamRevision(source);
      if (!revision) {
        ctx.printErr(`could not pull ${source}, the repository may require authentication or does not exist`);
        return 1;
      }
      const left = sim.transient.get(source.toLowerCase()) ?? 0;
      if (flags.has('actions-admin-user'))
        ctx.print(`getting an impersonation token for \`${flags.get('actions-admin-user')}\` ...`);
      else ctx.print('not using impersonation for the requests ');
      ctx.print(`syncing \`${dest}\``);
      yield sim.secondsPerAction / 2;
      if (!auth) {
        ctx.printErr(
          `error creating github repository \`${dest}\`: error retrieving authenticated user: GET ${url}/api/v3/user: 401 Bad credentials []`,
        );
        return 1;
      }
      // A 386 build on an x86_64 host: the seed guide's misleading failure.
      if (build !== HOST_BUILD[ctx.node.arch]) {
        ctx.printErr(
          `error creating github repository \`${dest}\`: error creating organization ${owner}: POST ${url}/api/v3/admin/organizations: 404 Not Found []`,
        );
        return 1;
      }
      if (owner.toLowerCase() !== auth.login.toLowerCase()) {
        const owners = ctx.world.instance.orgs.get(owner);
        const siteAdmin = ctx.world.instance.users.get(auth.login)?.siteAdmin === true;
        if (!owners && !siteAdmin) {
          ctx.printErr(
            `error creating github repository \`${dest}\`: error creating organization ${owner}: POST ${url}/api/v3/admin/organizations: 403 Must have admin rights to Repository. []`,
          );
          return 1;
        }
        if (!owners) {
          ctx.world.instance.orgs.set(owner, new Set([auth.login]));
          ctx.print(`Created organization \`${owner}\` (admin: ${auth.login})`);
        } else if (!owners.has(auth.login)) {
          ctx.printErr(
            `error creating github repository \`${dest}\`: error creating repository ${dest}: POST ${url}/api/v3/orgs/${owner}/repos: 403 You need admin access to the organization before adding a repository to it. []`,
          );
          return 1;
        }
      }
      const key = dest.toLowerCase();
      const before = sim.synced.get(key);
      ctx.print(before === undefined ? `Created repo \`${dest}\`` : `Existing repo \`${dest}\``);
      if (left > 0) {
        sim.transient.set(source.toLowerCase(), left - 1);
        ctx.printErr(
          `error syncing repository \`${dest}\`: failed to push to repo: ${url}/${dest}.git: unexpected EOF`,
        );
        return 1;
      }
      if (auth.kind === 'pat' && !auth.scopes.includes('workflow') && before !== revision) {
        ctx.printErr(
          `error syncing repository \`${dest}\`: failed to push to repo: ${url}/${dest}.git: command error on refs/heads/main: refusing to allow a Personal Access Token to create or update workflow \`.github/workflows/ci.yml\` without \`workflow\` scope`,
        );
        return 1;
      }
      sim.synced.set(key, revision);
      ctx.print(`repo successfully synced \`${dest}\``);
      void repo;
    }
    return 0;
  }

  /**
   * `ghes-ops-actions-sync --token-parameter NAME [--] ARGS...`: reads the token from SSM with the
   * instance profile (in AWS: `aws ssm get-parameter --with-decryption`) and runs
   * `actions-sync ARGS... --destination-token TOKEN`, so the token is in no command line that
   * SSM, SSH or the execution history record.
   */
  function* wrapper(ctx: CommandContext): CommandProgram {
    let argv = [...ctx.args];
    if (argv[0] === '--binary') {
      const binary = argv[1] ?? '';
      if (!ctx.node.files.has(binary) || !sim.binaries.has(ctx.node.name)) {
        ctx.printErr(`ghes-ops-actions-sync: ${binary} is not an executable file`);
        return 2;
      }
      argv = argv.slice(2);
    }
    const [flag, name, ...rest] = argv;
    if (flag !== '--token-parameter' || !name) {
      ctx.printErr(
        'usage: ghes-ops-actions-sync [--binary /path/to/actions-sync] --token-parameter /ssm/parameter/name -- <actions-sync arguments>',
      );
      return 2;
    }
    const args = rest[0] === '--' ? rest.slice(1) : rest;
    if (args[0] === 'version') return yield* actionsSync({ ...ctx, program: 'actions-sync', args });
    const token = sim.readParameter(name);
    if (!token) {
      ctx.printErr(
        `ghes-ops-actions-sync: parameter ${name} not found (or not readable with the instance profile)`,
      );
      return 2;
    }
    return yield* actionsSync({
      ...ctx,
      program: 'actions-sync',
      args: [...args, '--destination-token', token],
    });
  }

  function file(ctx: CommandContext): number {
    const paths = ctx.args.filter((a) => !a.startsWith('-'));
    if (paths.length === 0) {
      ctx.printErr('Usage: file [-bcCdEhikLlNnprsSvzZ0] [--apple] [--extension] [--mime-encoding] ...');
      return 1;
    }
    for (const path of paths) {
      const build = path === sim.binaryPath ? sim.binaries.get(ctx.node.name) : undefined;
      if (!build) ctx.print(`${path}: cannot open \`${path}' (No such file or directory)`);
      else ctx.print(`${path}: ${ELF[build]}`);
    }
    return 0;
  }

  return [
    {
      name: 'actions-sync',
      run: actionsSync,
      description: 'GitHub actions-sync CLI (pull, push, sync, version).',
    },
    {
      name: 'ghes-ops-actions-sync',
      run: wrapper,
      description: 'Runs actions-sync with the token read from SSM.',
    },
    { name: 'file', run: file, description: 'file -L PATH: the build of the actions-sync binary.' },
  ];
}

const GO = 'Go BuildID=sandbox, stripped';
const ELF: Record<BinaryArch, string> = {
  '386': `ELF 32-bit LSB executable, Intel 80386, version 1 (SYSV), statically linked, ${GO}`,
  amd64: `ELF 64-bit LSB executable, x86-64, version 1 (SYSV), statically linked, ${GO}`,
  arm64: `ELF 64-bit LSB executable, ARM aarch64, version 1 (SYSV), statically linked, ${GO}`,
};
