import { ConfigError } from '../../shared/errors.js';
import type { ApplianceState } from './appliance-state.js';
import type { Durations } from './durations.js';
import type { Faults } from './faults.js';
import { laggingChannels, warningChannels } from './replication-channels.js';
import { CLOUD_SCENARIOS } from './cloud/sandbox-cloud.js';
import { ACTIONS_SYNC_SCENARIOS } from './actions-sync/scenarios.js';
import { MAIL_PROVIDER_SCENARIOS, type MailProviderScenario } from './mail-provider/scenarios.js';
import { RUNBOOK_SCENARIOS, type RunbookScenario } from './runbook/scenarios.js';

/** The named fault scenarios, each with a one-line description. */
export const SCENARIOS = {
  healthy: 'Primary and replica up, every replication channel OK, uploads to GitHub Support succeed.',
  'replica-lagging':
    'The replica lags: mysql replication delay 29s (WARNING) and git 150 repositories and/or gists behind (CRITICAL); ghe-repl-status exits 2.',
  'replica-warning':
    'The replica warns within the limit: only `WARNING: mysql replication delay is 29s`, every other channel OK (ghe-repl-status exits 1); a failover with the default 30 s limit passes and says so.',
  'primary-down':
    'The primary is down: commands to it fail with ApplianceUnreachable and its /status is unreachable; the replica is healthy otherwise.',
  'promote-fails':
    'The primary is down and ghe-repl-promote hits the known bug (jq: error ... Cannot index string with string "node"): exit 5, replication left stopped.',
  'upload-fails':
    'No outbound HTTPS to GitHub: bundles are generated, but every upload fails (Error: upload failed: could not connect to enterprise-bundles.github.com).',
  slow: 'Every duration x100: a support bundle takes over 3 hours, a promotion 5 hours.',
  'bundle-slow':
    'A support bundle takes 15 minutes: /tmp/ghe-support-bundle-status says `running` through many polls, then `complete`, then the upload.',
  'bundle-session-drops':
    'The SSH sessions to the appliance drop while a support bundle runs: attached commands die (ssh exit 255) and connections fail for 30 s; a detached bundle carries on.',
  'promote-session-drops':
    'The SSH sessions to the replica drop while ghe-repl-promote runs (after it stopped replication): attached commands die (ssh exit 255) and connections fail for 30 s; a detached promotion carries on.',
  // Failures of the AWS around the appliances (cloud/sandbox-cloud.ts reads them).
  ...CLOUD_SCENARIOS,
  // actions-sync (actions-sync/install.ts reads them; version-changed also upgrades the appliances).
  ...ACTIONS_SYNC_SCENARIOS,
  // The custom email domain's mail provider (mail-provider/, custom-email-verification); the
  // appliances stay healthy.
  ...MAIL_PROVIDER_SCENARIOS,
  // The runbook workflows (runbook/install.ts applies them): TLS, backups, the Jira prefix list.
  ...RUNBOOK_SCENARIOS,
} as const satisfies Record<string, string>;

export type ScenarioName = keyof typeof SCENARIOS;

export interface ScenarioNodes {
  primary: ApplianceState;
  replica: ApplianceState;
}

interface ScenarioEffect {
  durationFactor?: number;
  /** Durations (virtual seconds) the scenario sets; options given to the sandbox win. */
  durations?: Partial<Durations>;
  faults?: Partial<Faults>;
  setup?(nodes: ScenarioNodes): void;
}

const EFFECTS: Record<ScenarioName, ScenarioEffect> = {
  healthy: {},
  'replica-lagging': {
    setup({ primary, replica }) {
      if (replica.replication) replica.replication.channels = laggingChannels(primary.name);
    },
  },
  'replica-warning': {
    setup({ primary, replica }) {
      if (replica.replication) replica.replication.channels = warningChannels(primary.name);
    },
  },
  'primary-down': {
    setup({ primary }) {
      primary.up = false;
    },
  },
  'promote-fails': {
    faults: { promoteBug: true },
    setup({ primary }) {
      primary.up = false;
    },
  },
  'upload-fails': { faults: { uploadBlocked: true } },
  slow: { durationFactor: 100 },
  'bundle-slow': { durations: { supportBundle: 900 } },
  'bundle-session-drops': { faults: { sessionDrop: true } },
  'promote-session-drops': { faults: { sessionDrop: true } },
  'dns-fails': {},
  'lb-fails': {},
  'dns-stale-record': {},
  'actions-sync-no-workflow-scope': {},
  'actions-sync-not-owner': {},
  'actions-sync-386-binary': {},
  'actions-sync-one-fails': {},
  'actions-sync-transient': {},
  'actions-sync-version-changed': {
    setup({ primary, replica }) {
      primary.version = '3.18.0';
      replica.version = '3.18.0';
    },
  },
  ...(Object.fromEntries(Object.keys(MAIL_PROVIDER_SCENARIOS).map((name) => [name, {}])) as Record<
    MailProviderScenario,
    ScenarioEffect
  >),
  ...(Object.fromEntries(Object.keys(RUNBOOK_SCENARIOS).map((name) => [name, {}])) as Record<
    RunbookScenario,
    ScenarioEffect
  >),
};

export function isScenarioName(name: string): name is ScenarioName {
  return Object.hasOwn(SCENARIOS, name);
}

/** "healthy (…), replica-lagging (…), …": for error messages and `ghes-ops scenarios`. */
export function describeScenarios(): string {
  return Object.entries(SCENARIOS)
    .map(([name, text]) => `  ${name}: ${text}`)
    .join('\n');
}

export interface ResolvedScenario {
  /** The scenario names applied, in order. */
  names: ScenarioName[];
  durationFactor: number;
  durations: Partial<Durations>;
  faults: Partial<Faults>;
  setup(nodes: ScenarioNodes): void;
}

/**
 * Resolves a scenario name, or several joined with `+` (e.g. `slow+upload-fails`). Throws a
 * `ConfigError` listing the scenarios on an unknown name.
 */
export function resolveScenario(spec: string = 'healthy'): ResolvedScenario {
  const names = spec
    .split('+')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) names.push('healthy');
  const unknown = names.filter((n) => !isScenarioName(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown sandbox scenario ${unknown.map((n) => JSON.stringify(n)).join(', ')}. Known scenarios (combine with "+"):\n${describeScenarios()}`,
    );
  }
  const effects = (names as ScenarioName[]).map((n) => EFFECTS[n]);
  return {
    names: names as ScenarioName[],
    durationFactor: effects.reduce((f, e) => f * (e.durationFactor ?? 1), 1),
    durations: Object.assign({}, ...effects.map((e) => e.durations ?? {})) as Partial<Durations>,
    faults: Object.assign({}, ...effects.map((e) => e.faults ?? {})) as Partial<Faults>,
    setup(nodes) {
      for (const e of effects) e.setup?.(nodes);
    },
  };
}
