import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { CommandHandle, PollResult } from '../../shared/appliance/runner.js';
import { ApplianceUnreachable, ConfigError } from '../../shared/errors.js';
import { SANDBOX_PRIMARY, SANDBOX_REPLICA } from './appliance-names.js';
import { deepFreeze, snapshotAppliance, type ApplianceSnapshot } from './appliance-snapshot.js';
import { createAppliance, textFile, type ApplianceState } from './appliance-state.js';
import {
  CommandRegistry,
  type CommandContext,
  type CommandImpl,
  type CommandProgram,
  type CommandSpec,
  type SandboxWorld,
} from './command-registry.js';
import { BUILTIN_COMMANDS } from './commands/index.js';
import { resolveDurations, type Durations } from './durations.js';
import { NO_FAULTS, SESSION_DROP_SECONDS, type Faults } from './faults.js';
import { defaultInstanceData, type InstanceData } from './instance-data.js';
import { CONNECTION_LOST_EXIT_CODE, ProcessTable, type Job } from './process-table.js';
import type { BundleRecord, CommandLogEntry, UploadRecord } from './records.js';
import { healthyChannels, type ReplicationChannel } from './replication-channels.js';
import { SandboxRunner, type SandboxRunnerOptions } from './sandbox-runner.js';
import { resolveScenario } from './scenarios.js';
import { parseDetachedLine, parseShellLine, SandboxShellRefused, type DetachedLine } from './shell-parser.js';
import { DEFAULT_GHES_VERSION, isGhesVersion } from './version.js';

export interface SandboxOptions {
  /** Fault scenario (see SCENARIOS); several can be joined with `+`. Default `healthy`. */
  scenario?: string;
  /** The clock everything runs on: commands take virtual time on it. */
  clock: Clock;
  /** Override durations (virtual seconds); the `slow` scenario multiplies them by 100. */
  durations?: Partial<Durations>;
  /** Every duration 0 (benchmarks). */
  zeroDelays?: boolean;
  /** Installed GHES version of both appliances (default 3.17.2). */
  version?: string;
  /** Polling of `sandbox.runner.run`. */
  runner?: SandboxRunnerOptions;
}

/** What `GET https://HOST/status` gives: 200 on an active primary, 503 on a replica or in maintenance mode. */
export type StatusCode = 200 | 503 | 'unreachable';

export interface StartLineOptions {
  /** The appliance kills the command after this many virtual seconds (status TimedOut, exit 124). */
  timeoutSeconds?: number;
}

/**
 * A simulated GHES primary + replica pair: state, commands run over a parsed shell line, and
 * virtual time. Commands reach it through `sandbox.runner` (a `CommandRunner`); tests read its
 * state through the inspection methods and inject faults through the control methods.
 */
export class Sandbox {
  readonly clock: Clock;
  /** The scenario names applied, joined with `+` (`reset` may switch it). */
  scenario: string;
  durations: Readonly<Durations>;
  readonly runner: SandboxRunner;

  private readonly nodeMap = new Map<string, ApplianceState>();
  private readonly registry = new CommandRegistry(BUILTIN_COMMANDS);
  private readonly procs = new ProcessTable(`sbx-${randomUUID().slice(0, 8)}`);
  private readonly log: CommandLogEntry[] = [];
  private readonly uploadList: UploadRecord[] = [];
  private readonly bundleList: BundleRecord[] = [];
  private faultState: Faults;
  private readonly instance: InstanceData = defaultInstanceData();
  private world: SandboxWorld;
  private readonly opts: SandboxOptions;
  private time: number;
  private syncing = false;

  constructor(opts: SandboxOptions) {
    if (!opts || !opts.clock) throw new ConfigError('The sandbox needs a clock: new Sandbox({ clock }).');
    const version = opts.version ?? DEFAULT_GHES_VERSION;
    if (!isGhesVersion(version))
      throw new ConfigError(
        `Sandbox version ${JSON.stringify(version)} is not a GHES version such as 3.17.2.`,
      );
    this.opts = opts;
    const scenario = resolveScenario(opts.scenario);
    this.clock = opts.clock;
    this.time = opts.clock.now();
    this.scenario = scenario.names.join('+');
    this.durations = resolveDurations(
      { ...scenario.durations, ...opts.durations },
      scenario.durationFactor,
      opts.zeroDelays === true,
    );
    this.faultState = { ...NO_FAULTS, ...scenario.faults };
    this.buildPair(version, scenario);

    this.world = this.createWorld();
    this.runner = new SandboxRunner(this, opts.runner);
  }

  /** A fresh primary and replica with replication set up and running, as the scenario wants them. */
  private buildPair(version: string, scenario: ReturnType<typeof resolveScenario>): void {
    const primary = createAppliance(SANDBOX_PRIMARY, 'primary', version);
    const replica = createAppliance(SANDBOX_REPLICA, 'replica', version);
    const ha = [
      { uuid: primary.uuid, hostname: primary.name },
      { uuid: replica.uuid, hostname: replica.name },
    ];
    primary.clusterNodes = ha.map((n) => ({ ...n }));
    replica.clusterNodes = ha.map((n) => ({ ...n }));
    replica.replication = { primary: primary.name, running: true, channels: healthyChannels(primary.name) };
    scenario.setup({ primary, replica });
    this.nodeMap.set(primary.name, primary);
    this.nodeMap.set(replica.name, replica);
  }

  /**
   * Rebuilds the primary and the replica as a fresh pair, as `ghe-repl-setup` and `ghe-repl-start`
   * on a new replica leave them, with the faults and durations of `scenario` (default: the current
   * one): a demo can be repeated on one running stack (local/sandbox/reset.ts). Throws while an
   * appliance is busy (a promotion running). Instance data (users, organizations), other
   * hosts, the command log and the records stay.
   */
  reset(scenario: string = this.scenario): void {
    const resolved = resolveScenario(scenario);
    this.sync();
    for (const node of this.nodeMap.values())
      if (node.busy.size > 0)
        throw new Error(
          `${node.name} is busy (${[...node.busy].join(', ')}): wait for it to finish before resetting the sandbox.`,
        );
    this.scenario = resolved.names.join('+');
    this.durations = resolveDurations(
      this.opts.durations,
      resolved.durationFactor,
      this.opts.zeroDelays === true,
    );
    this.faultState = { ...NO_FAULTS, ...resolved.faults };
    this.buildPair(this.opts.version ?? DEFAULT_GHES_VERSION, resolved);
    this.world = this.createWorld();
  }

  // ---- inspection (read-only) ---------------------------------------------------------------

  /** Names of the appliances. */
  get applianceNames(): string[] {
    return [...this.nodeMap.keys()];
  }

  /** A frozen snapshot of the appliance now. Throws on an unknown name. */
  appliance(name: string): ApplianceSnapshot {
    this.sync();
    return snapshotAppliance(this.node(name), this.time, this.durations.drain, this.log);
  }

  /** Uploads received by "GitHub Support", in order. */
  get uploads(): readonly UploadRecord[] {
    this.sync();
    return deepFreeze([...this.uploadList]);
  }

  /** Support bundles generated, in order. */
  get bundles(): readonly BundleRecord[] {
    this.sync();
    return deepFreeze([...this.bundleList]);
  }

  /** Every command line received by any appliance, in order (including lines the shell refused). */
  get commandLog(): readonly CommandLogEntry[] {
    return deepFreeze([...this.log]);
  }

  get faults(): Readonly<Faults> {
    return Object.freeze({ ...this.faultState });
  }

  /** Current virtual time (ms since the epoch) as the sandbox has simulated it. */
  now(): number {
    this.sync();
    return this.time;
  }

  /** `GET https://NAME/status`. */
  statusCode(name: string): StatusCode {
    this.sync();
    const node = this.nodeMap.get(name);
    if (!node || !node.up || this.plainHosts.has(name)) return 'unreachable';
    if (node.role === 'replica' || node.maintenance.enabled) return 503;
    return 200;
  }

  /** True when more than one appliance takes writes (up, primary, not in maintenance mode). */
  splitBrain(): boolean {
    return this.applianceNames.filter((n) => this.statusCode(n) === 200).length > 1;
  }

  /** A file's content on an appliance, or undefined. */
  readFile(name: string, path: string): string | undefined {
    this.sync();
    return this.node(name).files.get(path)?.content;
  }

  /** Users of the instance (instance data), for the sandbox GHES API. */
  users(): { login: string; siteAdmin: boolean }[] {
    return [...this.instance.users]
      .map(([login, u]) => ({ login, siteAdmin: u.siteAdmin }))
      .sort((a, b) => a.login.localeCompare(b.login));
  }

  /** Organizations of the instance (instance data). */
  organizations(): string[] {
    return [...this.instance.orgs.keys()].sort();
  }

  /** Owners of an organization (instance data). */
  orgOwners(org: string): string[] {
    return [...(this.instance.orgs.get(org) ?? [])].sort();
  }

  /** Command names the appliances know (some only from a given version). */
  commands(): string[] {
    return this.registry.names();
  }

  // ---- control (fault injection) ------------------------------------------------------------

  /** Brings an appliance down (its running commands die, exit 255) or back up. */
  setUp(name: string, up: boolean): void {
    this.sync();
    const node = this.node(name);
    node.up = up;
    if (!up) {
      for (const job of this.procs.running(name)) {
        this.procs.kill(
          job,
          'Failed',
          CONNECTION_LOST_EXIT_CODE,
          `Connection to ${name} closed by remote host.\n`,
        );
      }
    }
  }

  setMaintenance(name: string, enabled: boolean): void {
    this.sync();
    this.world.setMaintenance(this.node(name), enabled);
  }

  /** Replaces (by name) or adds a replication channel on a replica. */
  setChannel(name: string, channel: ReplicationChannel): void {
    this.sync();
    const repl = this.node(name).replication;
    if (!repl) throw new Error(`${name} is not a replica: it has no replication channels`);
    const i = repl.channels.findIndex((c) => c.name === channel.name);
    if (i >= 0) repl.channels[i] = channel;
    else repl.channels.push(channel);
  }

  /** Starts or stops replication on a replica (stopped: ghe-repl-status warns and exits 1). */
  setReplicationRunning(name: string, running: boolean): void {
    this.sync();
    const repl = this.node(name).replication;
    if (!repl) throw new Error(`${name} is not a replica`);
    repl.running = running;
  }

  setFault(fault: keyof Faults, on: boolean): void {
    if (!Object.hasOwn(NO_FAULTS, fault))
      throw new Error(`unknown fault ${JSON.stringify(fault)}; faults: ${Object.keys(NO_FAULTS).join(', ')}`);
    this.faultState[fault] = on;
  }

  writeFile(name: string, path: string, content: string): void {
    this.sync();
    this.node(name).files.set(path, textFile(content));
  }

  addUser(login: string, opts: { siteAdmin?: boolean } = {}): void {
    this.instance.users.set(login, { siteAdmin: opts.siteAdmin === true });
  }

  addOrganization(org: string, owners: string[] = []): void {
    this.instance.orgs.set(org, new Set(owners));
  }

  /** Adds a host that is not a GHES node (e.g. the backup-utils host), reachable like the appliances. */
  addHost(name: string): void {
    if (this.nodeMap.has(name)) throw new Error(`the sandbox already has a host named ${name}`);
    this.nodeMap.set(name, createAppliance(name, 'standalone', DEFAULT_GHES_VERSION));
    this.plainHosts.add(name);
  }

  /** Hosts added with `addHost`: reachable for commands, but no GHES (no /status, never a primary). */
  private readonly plainHosts = new Set<string>();

  /** Adds a command to every appliance (e.g. the actions-sync feature's commands). */
  registerCommand(
    name: string,
    run: CommandImpl,
    opts?: { minVersion?: string; description?: string; replace?: boolean },
  ): void;
  registerCommand(spec: CommandSpec, opts?: { replace?: boolean }): void;
  registerCommand(
    nameOrSpec: string | CommandSpec,
    runOrOpts?: CommandImpl | { replace?: boolean },
    opts: { minVersion?: string; description?: string; replace?: boolean } = {},
  ): void {
    if (typeof nameOrSpec === 'string') {
      if (typeof runOrOpts !== 'function')
        throw new TypeError('registerCommand(name, run): run must be a function');
      const { replace, ...rest } = opts;
      this.registry.register({ name: nameOrSpec, run: runOrOpts, ...rest }, { replace });
    } else {
      this.registry.register(nameOrSpec, typeof runOrOpts === 'object' ? runOrOpts : {});
    }
  }

  // ---- execution ----------------------------------------------------------------------------

  /**
   * Receives a shell line on `target` and starts it. Throws `ApplianceUnreachable` for an unknown
   * or down appliance, and `SandboxShellRefused` for a line the sandbox will not run.
   */
  startLine(target: string, line: string, opts: StartLineOptions = {}): CommandHandle {
    this.sync();
    const node = this.reachable(target);
    const timeout = opts.timeoutSeconds;
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout))) {
      throw new RangeError(`timeoutSeconds must be a positive number, got ${JSON.stringify(timeout)}`);
    }
    let stages: string[][];
    let detached: DetachedLine | null;
    try {
      detached = parseDetachedLine(line);
      stages = detached ? detached.stages : parseShellLine(line);
    } catch (error) {
      if (error instanceof SandboxShellRefused)
        this.logLine(target, line, null, String(error.details.problem));
      throw error;
    }
    if (detached) return this.startDetached(node, line, detached, timeout);
    const job = this.procs.spawn(
      target,
      line,
      this.time,
      timeout === undefined ? null : this.time + timeout * 1000,
    );
    job.program = this.pipeline(node, stages, job);
    this.logLine(target, line, job.id, null);
    this.sync();
    return { target, commandId: job.id, command: line, startedAt: new Date(job.startedAt).toISOString() };
  }

  /**
   * `nohup setsid sh -c 'CMD; printf ...' > FILE 2>&1 < /dev/null & echo $!`: the launching shell
   * prints the process id and ends at once; CMD runs on as a detached process writing FILE (created
   * empty at once, as the redirection does), and last the line `[ghes-ops] exit status N`.
   */
  private startDetached(
    node: ApplianceState,
    line: string,
    detached: DetachedLine,
    timeout: number | undefined,
  ): CommandHandle {
    const target = node.name;
    const child = this.procs.spawn(target, `[detached] ${line}`, this.time, null, true);
    const pid = 4000 + child.seq;
    const append = (text: string): void => {
      const before = node.files.get(detached.outputFile)?.content ?? '';
      node.files.set(detached.outputFile, textFile(before + text));
    };
    node.files.set(detached.outputFile, textFile(''));
    child.program = this.detachedProgram(node, detached.stages, child, append);
    const launcher = this.procs.spawn(
      target,
      line,
      this.time,
      timeout === undefined ? null : this.time + timeout * 1000,
    );
    launcher.program = (function* (): CommandProgram {
      yield 0; // the shell forks the background job, then echoes its id
      launcher.stdout += `${pid}\n`;
      return 0;
    })();
    this.logLine(target, line, launcher.id, null);
    this.sync();
    return {
      target,
      commandId: launcher.id,
      command: line,
      startedAt: new Date(launcher.startedAt).toISOString(),
    };
  }

  private *detachedProgram(
    node: ApplianceState,
    stages: string[][],
    job: Job,
    append: (text: string) => void,
  ): CommandProgram {
    const code = yield* this.pipeline(node, stages, job, append);
    append(`\n[ghes-ops] exit status ${code}\n`);
    return code;
  }

  /**
   * The network path to an appliance drops: every command attached to an SSH session there dies
   * (ssh exits 255), and new connections are refused for `seconds`. Detached commands carry on.
   */
  dropSessions(name: string, seconds: number = SESSION_DROP_SECONDS): void {
    this.sync();
    this.dropNow(this.node(name), seconds);
  }

  private dropNow(node: ApplianceState, seconds: number): void {
    node.refuseConnectionsUntil = this.time + seconds * 1000;
    for (const job of this.procs.running(node.name)) {
      if (job.detached) continue;
      this.procs.kill(
        job,
        'Failed',
        CONNECTION_LOST_EXIT_CODE,
        `Timeout, server ${node.name} not responding.\n`,
      );
    }
  }

  /** The command's result once it has finished. Throws `ApplianceUnreachable` when its appliance is down. */
  poll(handle: CommandHandle): PollResult {
    this.sync();
    const job = this.procs.get(handle?.commandId);
    if (!job || job.target !== handle.target) {
      throw new Error(
        `Unknown sandbox command ${JSON.stringify(handle?.commandId)} on ${JSON.stringify(handle?.target)}: it was not started by this sandbox.`,
      );
    }
    this.reachable(job.target);
    if (!job.result) return { done: false };
    return { done: true, ...job.result };
  }

  /** Stops a running command (status Cancelled, exit 143), as closing its SSH session would. */
  cancel(handle: CommandHandle): void {
    this.sync();
    const job = this.procs.get(handle.commandId);
    if (job) this.procs.kill(job, 'Cancelled', 143);
  }

  // ---- internals ----------------------------------------------------------------------------

  private node(name: string): ApplianceState {
    const node = this.nodeMap.get(name);
    if (!node)
      throw new Error(
        `no sandbox appliance named ${JSON.stringify(name)}; appliances: ${this.applianceNames.join(', ')}`,
      );
    return node;
  }

  private reachable(target: string): ApplianceState {
    const node = this.nodeMap.get(target);
    if (!node) {
      throw new ApplianceUnreachable(
        `Cannot reach ${target}: there is no such appliance in the sandbox (appliances: ${this.applianceNames.join(', ')}). Check the target in the configuration.`,
        { target },
      );
    }
    if (node.up && node.refuseConnectionsUntil !== undefined && this.time < node.refuseConnectionsUntil) {
      throw new ApplianceUnreachable(
        `Cannot reach ${target}: ssh: connect to host ${target} port 122: Connection timed out. The network path to the appliance dropped; it may come back by itself: try again in a minute.`,
        { target },
      );
    }
    if (!node.up) {
      throw new ApplianceUnreachable(
        `Cannot reach ${target}: ssh: connect to host ${target} port 122: Connection timed out. The appliance is down or unreachable: check that it is running and that port 122 is open.`,
        { target },
      );
    }
    return node;
  }

  private logLine(target: string, line: string, commandId: string | null, refused: string | null): void {
    this.log.push(
      Object.freeze({
        seq: this.log.length + 1,
        at: new Date(this.time).toISOString(),
        target,
        line,
        commandId,
        refused,
      }),
    );
  }

  /** Fires every step due by the clock's now, in virtual-time order. */
  private sync(): void {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const now = Math.max(this.time, this.clock.now());
      for (let job = this.procs.nextDue(now); job; job = this.procs.nextDue(now)) {
        this.procs.fire(job, (at) => {
          this.time = Math.max(this.time, at);
        });
      }
      this.time = now;
    } finally {
      this.syncing = false;
    }
  }

  /** Runs the stages; the last one's stdout and every stderr go to the job, or all to `sink` (a file). */
  private *pipeline(
    node: ApplianceState,
    stages: string[][],
    job: Job,
    sink?: (text: string) => void,
  ): CommandProgram {
    let stdin: string | null = null;
    let code = 0;
    for (const [i, argv] of stages.entries()) {
      let piped = '';
      const out =
        i === stages.length - 1
          ? (sink ??
            ((text: string): void => {
              job.stdout += text;
            }))
          : (text: string): void => {
              piped += text;
            };
      code = yield* this.stage(
        node,
        argv,
        stdin,
        out,
        sink ??
          ((text) => {
            job.stderr += text;
          }),
      );
      stdin = piped;
    }
    return code;
  }

  private *stage(
    node: ApplianceState,
    argv: string[],
    stdin: string | null,
    out: (text: string) => void,
    err: (text: string) => void,
  ): CommandProgram {
    const [program = '', ...args] = argv;
    // A program named by its path runs when that file is installed there (e.g. /usr/local/bin/actions-sync).
    const installed = program.startsWith('/') && node.files.has(program);
    const spec = this.registry.lookup(installed ? (program.split('/').at(-1) ?? '') : program, node.version);
    if (!spec) {
      err(
        program.includes('/')
          ? `bash: ${program}: No such file or directory\n`
          : `bash: ${program}: command not found\n`,
      );
      return 127;
    }
    const ctx: CommandContext = {
      program,
      args,
      stdin,
      node,
      world: this.world,
      print: (...lines) => out(lines.map((l) => `${l}\n`).join('')),
      printErr: (...lines) => err(lines.map((l) => `${l}\n`).join('')),
      write: out,
      writeErr: err,
    };
    const result = spec.run(ctx);
    if (typeof result === 'number') return result;
    return yield* result;
  }

  private createWorld(): SandboxWorld {
    return {
      durations: this.durations,
      faults: this.faultState,
      instance: this.instance,
      now: () => this.time,
      isoNow: () => new Date(this.time).toISOString(),
      node: (name) => this.nodeMap.get(name),
      nodes: () => [...this.nodeMap.values()],
      dropSessionsSoon: (node, seconds) => {
        // As a process of its own, so that the command asking for it is not inside its own step.
        const job = this.procs.spawn(node.name, '[sandbox] network path drops', this.time, null, true);
        job.program = (function* (drop: () => void): CommandProgram {
          yield 0;
          drop();
          return 0;
        })(() => this.dropNow(node, seconds));
      },
      setMaintenance: (node, enabled) => {
        if (enabled && !node.maintenance.enabled) node.maintenance = { enabled: true, since: this.time };
        if (!enabled) node.maintenance = { enabled: false, since: null };
      },
      recordUpload: (upload) => {
        const record = Object.freeze({
          seq: this.uploadList.length + 1,
          at: new Date(this.time).toISOString(),
          ...upload,
        });
        this.uploadList.push(record);
        return record;
      },
      recordBundle: (bundle) => {
        const record = Object.freeze({
          seq: this.bundleList.length + 1,
          completedAt: new Date(this.time).toISOString(),
          ...bundle,
          nodes: Object.freeze([...bundle.nodes]),
        });
        this.bundleList.push(record);
        return record;
      },
    };
  }
}
