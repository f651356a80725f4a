import type { Config } from '../config.js';

/** Parameter store names of the failover's shared state (under the configured prefix). */
export const failoverParams = (config: Config) => {
  const base = `${config.parameterPrefix.replace(/\/$/, '')}/failover`;
  return {
    /** The lock: JSON `LockValue`, created with Overwrite=false. */
    lock: `${base}/lock`,
    /** The last failover (anti-flapping): JSON `LastFailover`. */
    last: `${base}/last-failover`,
    /** A waiting approval of one execution: JSON with the task token (SecureString). */
    approval: (executionName: string) => `${base}/approvals/${executionName}`,
  };
};

export const iso = (ms: number): string => new Date(ms).toISOString();
