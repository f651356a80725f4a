/** What the sandbox remembers for tests: command lines received, bundles generated, uploads to GitHub Support. */

export interface CommandLogEntry {
  readonly seq: number;
  /** Virtual time the line was received (ISO 8601). */
  readonly at: string;
  readonly target: string;
  /** The shell line exactly as received. */
  readonly line: string;
  /** The command id, or null when the line was refused by the shell parser. */
  readonly commandId: string | null;
  /** Why the line was refused, or null. */
  readonly refused: string | null;
}

export interface BundleRecord {
  readonly seq: number;
  readonly appliance: string;
  readonly kind: 'single' | 'cluster';
  readonly startedAt: string;
  readonly completedAt: string;
  /** Where the bundle was written, or null with `-o` (streamed to stdout). */
  readonly path: string | null;
  /** Period of logs, as given (`2days`) or implied (`8days` with `-x`). */
  readonly period: string;
  readonly extended: boolean;
  /** Nodes whose data is in the bundle. */
  readonly nodes: readonly string[];
  readonly size: number;
}

/** An upload received by "GitHub Support". */
export interface UploadRecord {
  readonly seq: number;
  readonly at: string;
  /** Appliance that sent it. */
  readonly appliance: string;
  /** Program that sent it: ghe-support-bundle, ghe-cluster-support-bundle or ghe-support-upload. */
  readonly via: string;
  /** Ticket it was attached to, or null. */
  readonly ticket: string | null;
  /** File uploaded (bundle path or `-f FILE`), or null for standard input. */
  readonly file: string | null;
  /** `-d` description, or null. */
  readonly description: string | null;
  /** Bytes received. */
  readonly size: number;
  /** The text received on standard input (ghe-support-upload in a pipeline), else null. */
  readonly content: string | null;
}
