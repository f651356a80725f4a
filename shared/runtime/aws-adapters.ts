import { ConfigError } from '../errors.js';
import type { Instances } from '../compute/instances.js';
import type { Dns } from '../traffic/dns.js';
import type { LoadBalancer } from '../traffic/load-balancer.js';

/**
 * AWS adapters whose SDK clients are large (EC2 alone is ~850 KB minified) are not imported by
 * `aws-deps.ts`, which every function bundles. A handler that needs one provides its factory at
 * import time (`provideAwsAdapter('dns', () => new Route53Dns(...))`): only that function's bundle
 * carries the client, and the client is still created on first use only.
 */
export interface AwsAdapterFactories {
  dns: () => Dns;
  loadBalancer: () => LoadBalancer;
  instances: () => Instances;
}

const factories: Partial<AwsAdapterFactories> = {};

export function provideAwsAdapter<K extends keyof AwsAdapterFactories>(
  key: K,
  factory: AwsAdapterFactories[K],
): void {
  factories[key] = factory;
}

export function awsAdapter<K extends keyof AwsAdapterFactories>(key: K): ReturnType<AwsAdapterFactories[K]> {
  const factory = factories[key];
  if (!factory) {
    throw new ConfigError(
      `This function has no ${key} adapter: its handler must call provideAwsAdapter('${key}', ...) (a step used a dependency its role and bundle were not built for).`,
    );
  }
  return factory() as ReturnType<AwsAdapterFactories[K]>;
}
