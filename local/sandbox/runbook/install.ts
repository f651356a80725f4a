import type { Config } from '../../../shared/config.js';
import { ConfigError } from '../../../shared/errors.js';
import { DEFAULT_BACKUP_DATA_DIR } from '../../../shared/runbook/settings.js';
import type { Deps } from '../../../shared/runtime/deps.js';
import { FetchIpRanges } from '../../../shared/network/fetch-ip-ranges.js';
import { NodeTlsProbe } from '../../../shared/tls/node-tls-probe.js';
import type { Sandbox } from '../sandbox.js';
import {
  GUIDE_JIRA_CIDRS,
  SandboxPrefixLists,
  SandboxRangesServer,
  sandboxRangesDocument,
} from './atlassian.js';
import { SandboxTls, tlsScenario } from './tls.js';
import { SandboxBackups } from './backup.js';
import { SandboxVolumeSnapshots } from './snapshots.js';

/** The sandbox's syncToken of Atlassian's document (unchanged, changed). */
export const SANDBOX_SYNC_TOKENS = { unchanged: 1764370000, changed: 1764450000 };

export interface RunbookSandbox {
  deps: Pick<Deps, 'ipRanges' | 'prefixLists' | 'tlsProbe' | 'volumeSnapshots'>;
  prefixLists?: SandboxPrefixLists;
  rangesServer?: SandboxRangesServer;
  tls?: SandboxTls;
  backups?: SandboxBackups;
  snapshots?: SandboxVolumeSnapshots;
  close(): Promise<void>;
}

/**
 * The outside world of the runbook workflows around the sandbox appliances: Atlassian's ranges
 * document on a loopback HTTP server (fetched with the production FetchIpRanges), the configured
 * prefix lists in memory with EC2's rules, and the scenario's faults. Without a sandbox (a real
 * appliance over SSH) the TLS probe and the ranges fetch are the real ones, and prefix lists are
 * refused (change them from AWS).
 */
export function installRunbook(sandbox: Sandbox | undefined, config: Config): RunbookSandbox {
  if (!sandbox) {
    const refuse = (): never => {
      throw new ConfigError(
        'EC2 (prefix lists, EBS snapshots) is not available locally with a real appliance: run jira-prefix-list and the backup snapshot in AWS, or locally against the sandbox.',
      );
    };
    return {
      deps: {
        tlsProbe: new NodeTlsProbe(),
        ipRanges: new FetchIpRanges(),
        prefixLists: { describe: refuse, entries: refuse, modify: refuse, tag: refuse },
        volumeSnapshots: { create: refuse, list: refuse, delete: refuse },
      },
      close: async () => undefined,
    };
  }
  const on = new Set(sandbox.scenario.split('+'));
  const changed = on.has('jira-ranges-changed') || on.has('jira-version-conflict');
  const body = sandboxRangesDocument(
    changed,
    changed ? SANDBOX_SYNC_TOKENS.changed : SANDBOX_SYNC_TOKENS.unchanged,
  );
  const rangesServer = new SandboxRangesServer(() =>
    on.has('jira-fetch-fails')
      ? { status: 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' }
      : { status: 200, body },
  );
  const prefixLists = new SandboxPrefixLists(() => sandbox.clock.now());
  const jira = config.runbook?.jira;
  if (jira) {
    prefixLists.create(jira.prefixListId, 'public-ip-ranges-for-jira-cloud', 'IPv4', GUIDE_JIRA_CIDRS, 14);
    if (jira.prefixListIdIpv6)
      prefixLists.create(
        jira.prefixListIdIpv6,
        'public-ipv6-ranges-for-jira-cloud',
        'IPv6',
        ['2401:1d80:3000::/40'],
        5,
      );
    if (on.has('jira-version-conflict')) {
      let fired = false;
      prefixLists.beforeModify = (id) => {
        if (fired || id !== jira.prefixListId) return;
        fired = true;
        prefixLists.externalChange(id, '198.51.100.0/24');
      };
    }
  }
  const fetcher = new FetchIpRanges();
  const hostname = config.runbook?.tls?.hostname ?? 'github.sandbox.localhost';
  const tls = new SandboxTls(hostname, tlsScenario(on, hostname), () => sandbox.clock.now());
  sandbox.registerCommand(tls.command(), { replace: true });
  const probe = new NodeTlsProbe();
  const backup = config.runbook?.backup;
  const backupHost = backup?.host ?? 'ghe-backup';
  const backups = sandbox.applianceNames.includes(backupHost)
    ? undefined
    : SandboxBackups.install(sandbox, backupHost, backup?.dataDir ?? DEFAULT_BACKUP_DATA_DIR, on);
  const snapshots = new SandboxVolumeSnapshots(
    () => sandbox.clock.now(),
    new Set(backup?.ebsVolumeId ? [backup.ebsVolumeId] : []),
  );
  return {
    ...(backups ? { backups } : {}),
    snapshots,
    prefixLists,
    rangesServer,
    tls,
    deps: {
      // The production fetch, against the loopback server standing in for the configured URL.
      ipRanges: {
        fetch: async (url) => {
          const base = await rangesServer.start();
          return { ...(await fetcher.fetch(new URL(new URL(url).pathname, base).href)), url };
        },
      },
      prefixLists,
      volumeSnapshots: snapshots,
      // The production handshake, against the appliance's HTTPS endpoint on loopback.
      tlsProbe: {
        probe: async (target) =>
          probe.probe({ ...target, connectHost: '127.0.0.1', port: await tls.start() }),
      },
    },
    close: async () => {
      await rangesServer.close();
      await tls.close();
    },
  };
}
