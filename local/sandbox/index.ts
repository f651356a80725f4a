/** The sandbox GHES appliance pair: public API. */
export { SANDBOX_PRIMARY, SANDBOX_REPLICA } from './appliance-names.js';
export type { ApplianceSnapshot } from './appliance-snapshot.js';
export type {
  ApplianceState,
  ClusterNode,
  DrainCounters,
  FileEntry,
  ReplicaConfig,
  Role,
} from './appliance-state.js';
export { applianceUuid, BUNDLE_STATUS_FILE, UUID_FILE } from './appliance-state.js';
export type {
  CommandContext,
  CommandImpl,
  CommandProgram,
  CommandSpec,
  SandboxWorld,
} from './command-registry.js';
export { CommandRegistry } from './command-registry.js';
export { BUILTIN_COMMANDS } from './commands/index.js';
export { renderReplStatus } from './commands/ghe-repl-status.js';
export { DEFAULT_DURATIONS, resolveDurations, ZERO_DURATIONS, type Durations } from './durations.js';
export { NO_FAULTS, type Faults } from './faults.js';
export { getopts, type ParsedOptions } from './getopts.js';
export { manualClock, MANUAL_CLOCK_START, type ManualClock } from './manual-clock.js';
export type { BundleRecord, CommandLogEntry, UploadRecord } from './records.js';
export * from './replication-channels.js';
export { Sandbox, type SandboxOptions, type StartLineOptions, type StatusCode } from './sandbox.js';
export { SandboxRunner, type SandboxRunnerOptions } from './sandbox-runner.js';
export {
  describeScenarios,
  isScenarioName,
  resolveScenario,
  SCENARIOS,
  type ScenarioName,
} from './scenarios.js';
export { parseShellLine, SandboxShellRefused } from './shell-parser.js';
export { compareVersions, DEFAULT_GHES_VERSION } from './version.js';
export { resetSandbox, SandboxResetRefused, type SandboxResetResult } from './reset.js';
