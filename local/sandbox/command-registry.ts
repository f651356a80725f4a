import type { ApplianceState } from './appliance-state.js';
import type { Durations } from './durations.js';
import type { Faults } from './faults.js';
import type { InstanceData } from './instance-data.js';
import type { BundleRecord, UploadRecord } from './records.js';
import { compareVersions, isGhesVersion } from './version.js';

/**
 * Appliance commands of the sandbox. A command is a function of its context that returns an exit
 * code, or a generator that `yield`s virtual seconds to wait and finally returns the exit code:
 *
 * ```ts
 * function* run(ctx) {
 *   ctx.print('Working ...');
 *   yield ctx.world.durations.supportBundle; // runs on in virtual time
 *   ctx.print('Done.');
 *   return 0;
 * }
 * ```
 *
 * Effects happen at the virtual time of the step that makes them. Commands change the world only
 * through `ctx.node` and `ctx.world`, synchronously.
 */
export type CommandProgram = Generator<number, number, void>;
export type CommandImpl = (ctx: CommandContext) => number | CommandProgram;

export interface CommandSpec {
  readonly name: string;
  readonly run: CommandImpl;
  /** The first GHES release that has the command; older appliances answer `command not found`. */
  readonly minVersion?: string;
  /** One line for docs and listings. */
  readonly description?: string;
}

export interface CommandContext {
  /** argv[0] as typed. */
  readonly program: string;
  readonly args: readonly string[];
  /** The previous pipeline stage's stdout, or null when there is none (ssh/SSM give no stdin). */
  readonly stdin: string | null;
  /** The appliance the command runs on. */
  readonly node: ApplianceState;
  readonly world: SandboxWorld;
  /** Writes each line plus a newline to stdout. */
  print(...lines: string[]): void;
  /** Writes each line plus a newline to stderr. */
  printErr(...lines: string[]): void;
  /** Writes raw text to stdout. */
  write(text: string): void;
  /** Writes raw text to stderr. */
  writeErr(text: string): void;
}

/** What commands may see and change of the sandbox. */
export interface SandboxWorld {
  readonly durations: Readonly<Durations>;
  readonly faults: Readonly<Faults>;
  readonly instance: InstanceData;
  /** Virtual time of the step being run, ms since the epoch. */
  now(): number;
  isoNow(): string;
  node(name: string): ApplianceState | undefined;
  nodes(): readonly ApplianceState[];
  setMaintenance(node: ApplianceState, enabled: boolean): void;
  /** The SSH sessions to `node` drop right after the current step (see `Sandbox.dropSessions`). */
  dropSessionsSoon(node: ApplianceState, seconds: number): void;
  recordUpload(upload: Omit<UploadRecord, 'seq' | 'at'>): UploadRecord;
  recordBundle(bundle: Omit<BundleRecord, 'seq' | 'completedAt'>): BundleRecord;
}

/** The commands an appliance knows. Features add their own (e.g. `actions-sync`) with `register`. */
export class CommandRegistry {
  private readonly specs = new Map<string, CommandSpec>();

  constructor(specs: readonly CommandSpec[] = []) {
    for (const spec of specs) this.register(spec);
  }

  /** Adds a command; replacing an existing one needs `{ replace: true }` (catches name clashes). */
  register(spec: CommandSpec, opts: { replace?: boolean } = {}): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(spec.name))
      throw new TypeError(`invalid command name ${JSON.stringify(spec.name)}`);
    if (spec.minVersion !== undefined && !isGhesVersion(spec.minVersion)) {
      throw new TypeError(
        `invalid minVersion ${JSON.stringify(spec.minVersion)} for ${spec.name} (expected e.g. 3.18.0)`,
      );
    }
    if (this.specs.has(spec.name) && !opts.replace) {
      throw new TypeError(`command ${spec.name} is already registered; pass { replace: true } to replace it`);
    }
    this.specs.set(spec.name, spec);
  }

  /** The command as an appliance of `version` has it, or undefined (bash: command not found). */
  lookup(name: string, version: string): CommandSpec | undefined {
    const spec = this.specs.get(name);
    if (!spec) return undefined;
    if (spec.minVersion !== undefined && compareVersions(version, spec.minVersion) < 0) return undefined;
    return spec;
  }

  names(): string[] {
    return [...this.specs.keys()].sort();
  }

  list(): CommandSpec[] {
    return this.names().map((n) => this.specs.get(n) as CommandSpec);
  }
}
