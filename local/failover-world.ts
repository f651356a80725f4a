import type { Deps } from '../shared/runtime/deps.js';
import { ConfigError } from '../shared/errors.js';
import { HttpsApplianceHttp } from '../shared/http/https-appliance-http.js';
import type { ParameterStore, PutOptions } from '../shared/params/parameter-store.js';
import { ParameterAlreadyExists } from '../shared/errors.js';
import { SandboxCloud } from './sandbox/cloud/sandbox-cloud.js';
import type { Sandbox } from './sandbox/sandbox.js';

/**
 * The failover's dependencies in the local world: the sandbox's cloud (DNS zone, target group,
 * EC2, HTTPS) with the sandbox appliance; with a real appliance over SSH, HTTPS is real and the
 * AWS parts are refused (drive a real failover from AWS).
 */
export function localFailoverDeps(
  sandbox: Sandbox | undefined,
  params: ParameterStore,
  parameterPrefix: string,
): Pick<Deps, 'dns' | 'loadBalancer' | 'instances' | 'http'> & { cloud?: SandboxCloud } {
  if (sandbox) {
    const cloud = new SandboxCloud(sandbox);
    return {
      cloud,
      dns: cloud.dns,
      loadBalancer: cloud.loadBalancer,
      instances: cloud.instances,
      http: cloud.http,
    };
  }
  // Refused on the first call, which is preflight's read-only check: a failover over SSH stops
  // there, before maintenance mode or promotion, with this message.
  const refuse = (what: string) => (): never => {
    throw new ConfigError(
      `${what} is not available locally with a real appliance, so the failover could neither check nor switch traffic: ` +
        'run the failover in AWS (its steps have the Route 53 / ELBv2 roles), or locally against the sandbox.',
    );
  };
  return {
    dns: { records: refuse('Route 53'), upsert: refuse('Route 53'), changeStatus: refuse('Route 53') },
    loadBalancer: {
      targets: refuse('ELBv2'),
      register: refuse('ELBv2'),
      deregister: refuse('ELBv2'),
      health: refuse('ELBv2'),
    },
    instances: { stop: refuse('EC2') },
    http: new HttpsApplianceHttp({
      params,
      managePasswordParameter: `${parameterPrefix}/manage/root-password`,
    }),
  };
}

/**
 * With the sandbox, the failover's own parameters (lock, last failover, approvals) live as long as
 * the sandbox appliances do, in memory: a new sandbox (each `ghes-ops run`) starts with no recent
 * failover and no lock, while one `ghes-ops start` stack keeps them across its executions. Every
 * other parameter goes to the parameter file as before.
 */
export function sandboxScopedParams(file: ParameterStore, parameterPrefix: string): ParameterStore {
  const scope = `${parameterPrefix.replace(/\/$/, '')}/failover/`;
  const memory = new Map<string, string>();
  const mine = (name: string): boolean => name.startsWith(scope);
  return {
    get: async (name) => (mine(name) ? memory.get(name) : file.get(name)),
    put: async (name: string, value: string, opts: PutOptions) => {
      if (!mine(name)) return file.put(name, value, opts);
      if (!opts.overwrite && memory.has(name))
        throw new ParameterAlreadyExists(
          `Parameter ${name} already exists and was not overwritten (another run may hold it).`,
          { name },
        );
      memory.set(name, value);
    },
    delete: async (name) => {
      if (mine(name)) memory.delete(name);
      else await file.delete(name);
    },
  };
}
