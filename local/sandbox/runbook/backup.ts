import type { CommandContext, CommandSpec } from '../command-registry.js';
import type { Sandbox } from '../sandbox.js';

const HOUR = 3_600_000;

export interface BackupScenario {
  /** Hours since the newest complete snapshot. */
  newestAgeHours: number;
  /** The newest run failed: a newer snapshot with an `incomplete` marker. */
  incomplete: boolean;
  /** Hours since a run that died left `in-progress` (undefined: no lock). */
  lockAgeHours?: number;
  diskPercent: number;
}

export function backupScenario(on: Set<string>): BackupScenario {
  return {
    newestAgeHours: on.has('backup-stale') ? 30 : on.has('backup-stale-lock') ? 9.2 : 0.7,
    incomplete: on.has('backup-incomplete'),
    ...(on.has('backup-stale-lock') ? { lockAgeHours: 9 } : {}),
    diskPercent: on.has('backup-disk-full') ? 94 : 48,
  };
}

const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15);

/**
 * The backup-utils host: GHE_DATA_DIR with GHE_NUM_SNAPSHOTS (10) hourly snapshots, `current`
 * pointing at the newest complete one, and the scenario's faults; plus the read-only programs the
 * check runs (`ls -1`, `readlink`, `find DIR -mindepth 2 -maxdepth 2 -name incomplete`, `df -P`,
 * `stat -c %Y`, `ghe-host-check`, `ghe-backup-healthcheck` from 3.22) over the hosts'
 * file maps. Symlinks and disk use live here (the file map has neither).
 */
export class SandboxBackups {
  readonly symlinks = new Map<string, string>();
  readonly disk = new Map<string, number>();

  constructor(
    private readonly sandbox: Sandbox,
    readonly host: string,
    readonly dataDir: string,
    scenario: BackupScenario,
  ) {
    const now = sandbox.clock.now();
    const newest = now - scenario.newestAgeHours * HOUR;
    for (let i = 9; i >= 0; i--) {
      const name = stamp(newest - i * HOUR);
      sandbox.writeFile(host, `${dataDir}/${name}/version`, '3.17.2\n');
      sandbox.writeFile(host, `${dataDir}/${name}/strategy`, 'rsync\n');
    }
    this.symlinks.set(`${host}:${dataDir}/current`, stamp(newest));
    if (scenario.incomplete) {
      const failed = stamp(now - 0.3 * HOUR);
      sandbox.writeFile(host, `${dataDir}/${failed}/version`, '3.17.2\n');
      sandbox.writeFile(host, `${dataDir}/${failed}/incomplete`, '');
    }
    if (scenario.lockAgeHours !== undefined) {
      const started = stamp(now - scenario.lockAgeHours * HOUR);
      sandbox.writeFile(host, `${dataDir}/in-progress`, `${started} 48213\n`);
      sandbox.writeFile(host, `${dataDir}/${started}/version`, '3.17.2\n');
    }
    this.disk.set(host, scenario.diskPercent);
    // The built-in service's files on the primary (GHES 3.17+): yesterday's and today's logs.
    const primary = sandbox.applianceNames[0]!;
    const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
    for (const ms of [now - 24 * HOUR, now])
      sandbox.writeFile(
        primary,
        `/var/log/github-backup/backup-verbose-${day(ms)}.log`,
        `${new Date(ms - HOUR).toISOString()} Starting backup of ${primary}\n${new Date(ms - HOUR + 600_000).toISOString()} Backup completed successfully\n`,
      );
  }

  private children(ctx: CommandContext, dir: string): string[] {
    const prefix = `${dir.replace(/\/+$/, '')}/`;
    const names = new Set<string>();
    for (const p of ctx.node.files.keys())
      if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
    for (const key of this.symlinks.keys()) {
      const [host, p = ''] = key.split(':');
      if (host === ctx.node.name && p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
    }
    return [...names].sort();
  }

  commands(): CommandSpec[] {
    const { symlinks, disk, sandbox } = this;
    const children = (ctx: CommandContext, dir: string): string[] => this.children(ctx, dir);
    const missing = (ctx: CommandContext, prog: string, path: string): number => {
      ctx.printErr(`${prog}: cannot access '${path}': No such file or directory`);
      return prog === 'ls' ? 2 : 1;
    };
    return [
      {
        name: 'ls',
        description: 'ls -1 DIR over the host file map.',
        run(ctx) {
          const dir = ctx.args.filter((a) => !a.startsWith('-'))[0] ?? '/';
          const names = children(ctx, dir);
          if (!names.length) return missing(ctx, 'ls', dir);
          ctx.print(...names);
          return 0;
        },
      },
      {
        name: 'readlink',
        description: 'readlink PATH (sandbox symlinks).',
        run(ctx) {
          const path = ctx.args.filter((a) => !a.startsWith('-'))[0] ?? '';
          const target = symlinks.get(`${ctx.node.name}:${path}`);
          if (target === undefined) return 1;
          ctx.print(target);
          return 0;
        },
      },
      {
        name: 'find',
        description: 'find DIR -mindepth 2 -maxdepth 2 -name NAME.',
        run(ctx) {
          const [dir = '/', ...rest] = ctx.args;
          const name = rest[rest.indexOf('-name') + 1];
          const prefix = `${dir.replace(/\/+$/, '')}/`;
          const hits = [...ctx.node.files.keys()]
            .filter(
              (p) =>
                p.startsWith(prefix) &&
                p.slice(prefix.length).split('/').length === 2 &&
                p.endsWith(`/${name}`),
            )
            .sort();
          if (!children(ctx, dir).length) return missing(ctx, 'find', dir);
          if (hits.length) ctx.print(...hits);
          return 0;
        },
      },
      {
        name: 'df',
        description: "df -P PATH: one filesystem per host, the scenario's use.",
        run(ctx) {
          const used = disk.get(ctx.node.name) ?? 35;
          const total = 524_288_000;
          const u = Math.round((total * used) / 100);
          ctx.print(
            'Filesystem     1024-blocks      Used Available Capacity Mounted on',
            `/dev/nvme1n1   ${String(total).padStart(11)} ${String(u).padStart(9)} ${String(total - u).padStart(9)} ${String(used).padStart(7)}% /data`,
          );
          return 0;
        },
      },
      {
        name: 'stat',
        description: 'stat -c %Y FILE (modification time: the sandbox clock at writing).',
        run(ctx) {
          const file = ctx.args[ctx.args.length - 1] ?? '';
          if (!ctx.node.files.has(file)) {
            ctx.printErr(`stat: cannot statx '${file}': No such file or directory`);
            return 1;
          }
          ctx.print(String(Math.floor(ctx.world.now() / 1000)));
          return 0;
        },
      },
      {
        name: 'ghe-host-check',
        description: 'backup-utils: check the connection to the appliance.',
        run(ctx) {
          const primary = sandbox.applianceNames[0]!;
          ctx.print(`Connect ${primary}:122 OK (v3.17.2)`);
          return 0;
        },
      },
      {
        name: 'ghe-backup-healthcheck',
        minVersion: '3.22.0',
        description: 'Built-in backup service health check (GHES 3.22+).',
        run(ctx) {
          ctx.print('OK: backup service healthy');
          return 0;
        },
      },
    ];
  }

  /** Installs the host and the commands (every host has them; only the backup host has the data). */
  static install(sandbox: Sandbox, host: string, dataDir: string, on: Set<string>): SandboxBackups {
    sandbox.addHost(host);
    const backups = new SandboxBackups(sandbox, host, dataDir, backupScenario(on));
    for (const spec of backups.commands()) sandbox.registerCommand(spec, { replace: true });
    return backups;
  }
}
