import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Deps } from './deps.js';

/**
 * The outside-world adapters a step may use. Each function declares the ones it needs (its
 * "wiring", passed to `lambdaHandler`): in AWS only those factories exist, their SDK clients are
 * loaded on first use from separate chunks (so a function's import stays small and its bundle
 * holds only its own clients), and using an undeclared adapter fails loudly, locally too.
 */
export type AdapterKey =
  | 'runner'
  | 'params'
  | 'mailer'
  | 'executions'
  | 'http'
  | 'dns'
  | 'loadBalancer'
  | 'instances'
  | 'ghesApi'
  | 'rawMail'
  | 'tickets'
  | 'smtpSubmission'
  | 'records'
  | 'tlsProbe'
  | 'ipRanges'
  | 'prefixLists'
  | 'volumeSnapshots';
export type AwsAdapters = Pick<Deps, AdapterKey>;
const ADAPTER_KEYS: readonly AdapterKey[] = [
  'runner',
  'params',
  'mailer',
  'executions',
  'http',
  'dns',
  'loadBalancer',
  'instances',
  'ghesApi',
  'rawMail',
  'tickets',
  'smtpSubmission',
  'records',
  'tlsProbe',
  'ipRanges',
  'prefixLists',
  'volumeSnapshots',
];

export interface FactoryContext {
  config: Config;
  /** Another adapter of the same function (e.g. the HTTP client reads a password parameter). */
  adapter: <K extends AdapterKey>(key: K) => AwsAdapters[K];
}

export type AdapterFactory<K extends AdapterKey> = (ctx: FactoryContext) => Promise<AwsAdapters[K]>;
export type Wiring = { [K in AdapterKey]?: AdapterFactory<K> };

const factories: Wiring = {};

/** Registers a function's factories (called once, when its handler module is loaded). */
export function provideAwsAdapters(wiring: Wiring): void {
  Object.assign(factories, wiring);
}

/**
 * An object with the adapter's methods that creates the real adapter on the first call. All
 * adapter interfaces are async methods only, so every call can wait for the creation.
 */
export function lazyAdapter<T extends object>(make: () => Promise<T>, what: string): T {
  let made: Promise<T> | undefined;
  return new Proxy({} as T, {
    get: (_target, prop) => {
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      return async (...args: unknown[]) => {
        made ??= make();
        const impl = (await made) as Record<string, unknown>;
        const method = impl[prop];
        if (typeof method !== 'function') throw new TypeError(`${what} has no method ${String(prop)}`);
        return (method as (...a: unknown[]) => unknown).apply(impl, args);
      };
    },
  });
}

/** The AWS adapter for `key`, created lazily from the registered factory. */
export function awsAdapters(config: Config): AwsAdapters {
  const out = {} as Record<AdapterKey, unknown>;
  const ctx: FactoryContext = { config, adapter: (key) => out[key] as AwsAdapters[typeof key] };
  for (const key of ADAPTER_KEYS) {
    out[key] = lazyAdapter(async () => {
      const factory = factories[key] as AdapterFactory<AdapterKey> | undefined;
      if (!factory) throw undeclared(key);
      return factory(ctx);
    }, key);
  }
  return out as AwsAdapters;
}

function undeclared(key: string, fn?: string): ConfigError {
  return new ConfigError(
    `${fn ? `Function ${fn}` : 'This function'} used the ${key} adapter without declaring it in its wiring ` +
      `(lambdaHandler's last argument): declare it there and give its IAM role the matching permissions.`,
  );
}

/** Deps in which every adapter the function did not declare throws on use (not on access, so spreading is safe). */
export function restrictToWiring(deps: Deps, declared: ReadonlySet<AdapterKey>, fn: string): Deps {
  const out: Deps = { ...deps };
  for (const key of ADAPTER_KEYS) {
    if (declared.has(key)) continue;
    (out as unknown as Record<string, unknown>)[key] = lazyAdapter<object>(
      () => Promise.reject(undeclared(key, fn)),
      key,
    );
  }
  return out;
}
