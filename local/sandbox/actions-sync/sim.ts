import { createHash } from 'node:crypto';
import { ParameterAlreadyExists } from '../../../shared/errors.js';
import type { ParameterStore, PutOptions } from '../../../shared/params/parameter-store.js';

/**
 * What the sandbox knows about actions-sync: the binary installed on each appliance (its build
 * architecture), github.com's repositories (the source), what was synced into GHES, injected
 * failures, and the SSM parameters the appliance's instance profile can read (where the wrapper
 * `ghes-ops-actions-sync` gets the token, so the token never travels in a command line).
 */
export type BinaryArch = '386' | 'amd64' | 'arm64';

export class ActionsSyncSim {
  /** Appliance name -> installed binary build, or absent when not installed. */
  readonly binaries = new Map<string, BinaryArch>();
  readonly binaryPath = '/usr/local/bin/actions-sync';
  /** github.com repositories that do not exist (pull fails). Lower case `owner/repo`. */
  readonly missingUpstream = new Set<string>();
  /** Source (lower case) -> how many more attempts fail with a transient error. */
  readonly transient = new Map<string, number>();
  /** Destination (lower case) -> the upstream revision synced. */
  readonly synced = new Map<string, string>();
  /** Virtual seconds one repository takes to sync. */
  secondsPerAction = 20;
  /** Every actions-sync sync call, in order: the repositories it was given. */
  readonly calls: { node: string; repos: string[]; args: string[] }[] = [];
  /** SSM as the appliances' instance profile sees it (names under `${prefix}/actions-sync/`). */
  private readonly parameters = new Map<string, string>();

  constructor(readonly parameterScope: string) {}

  /** Source (lower case) -> how many new commits it got since the sandbox started. */
  private readonly upstreamCommits = new Map<string, number>();

  /** The revision of a github.com repository (stable per name until `pushUpstream`). */
  upstreamRevision(source: string): string | undefined {
    const key = source.toLowerCase();
    if (this.missingUpstream.has(key)) return undefined;
    const n = this.upstreamCommits.get(key) ?? 0;
    return createHash('sha1')
      .update(`upstream:${key}${n ? `:${n}` : ''}`)
      .digest('hex');
  }

  /** A new commit on github.com (the next sync moves the destination's refs). */
  pushUpstream(source: string): void {
    const key = source.toLowerCase();
    this.upstreamCommits.set(key, (this.upstreamCommits.get(key) ?? 0) + 1);
  }

  readParameter(name: string): string | undefined {
    return this.parameters.get(name);
  }

  /**
   * The parameter store handlers see: names under the actions-sync scope live here, in memory (a
   * sandbox token is valid only for this sandbox); anything else goes to `inner`.
   */
  scopedParams(inner: ParameterStore): ParameterStore {
    const mine = (name: string): boolean => name.startsWith(this.parameterScope);
    return {
      get: async (name) => (mine(name) ? this.parameters.get(name) : inner.get(name)),
      put: async (name: string, value: string, opts: PutOptions) => {
        if (!mine(name)) return inner.put(name, value, opts);
        if (!opts.overwrite && this.parameters.has(name))
          throw new ParameterAlreadyExists(`Parameter ${name} already exists and was not overwritten.`, {
            name,
          });
        this.parameters.set(name, value);
      },
      delete: async (name) => {
        if (mine(name)) this.parameters.delete(name);
        else await inner.delete(name);
      },
    };
  }
}
