import type { Route53Client } from '@aws-sdk/client-route-53';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Deps } from '../shared/runtime/deps.js';
import type { Dns } from '../shared/traffic/dns.js';
import type { LoadBalancer } from '../shared/traffic/load-balancer.js';
import type { LocalAwsSettings } from './config.js';
import { ConfigError } from '../shared/errors.js';
import { HttpsApplianceHttp } from '../shared/http/https-appliance-http.js';
import type { ParameterStore, PutOptions } from '../shared/params/parameter-store.js';
import { ParameterAlreadyExists } from '../shared/errors.js';
import { SandboxCloud } from './sandbox/cloud/sandbox-cloud.js';
import type { Sandbox } from './sandbox/sandbox.js';

/**
 * The failover's dependencies in the local world: the sandbox's cloud (DNS zone, target group,
 * EC2, HTTPS) with the sandbox appliance; with a real appliance over SSH, HTTPS is real, and
 * Route 53 and ELBv2 are the real AWS adapters with the operator's credentials when the local
 * config has `aws` (else refused: drive a real failover from AWS). EC2 stop stays refused locally.
 */
export function localFailoverDeps(
  sandbox: Sandbox | undefined,
  params: ParameterStore,
  parameterPrefix: string,
  aws?: LocalAwsSettings,
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
  // Without `aws` in the local config: refused on the first call, which is preflight's read-only
  // check: a failover over SSH stops there, before maintenance mode or promotion, with this message.
  const refuse = (what: string) => (): never => {
    throw new ConfigError(
      `${what} is not available locally with a real appliance, so the failover could neither check nor switch traffic: ` +
        'set "aws": {"profile": "...", "region": "..."} in the local config to use your own AWS credentials, ' +
        'run the failover in AWS (its steps have the Route 53 / ELBv2 roles), or run locally against the sandbox.',
    );
  };
  const traffic = aws ? localAwsTraffic(aws) : undefined;
  return {
    dns: traffic?.dns ?? {
      records: refuse('Route 53'),
      upsert: refuse('Route 53'),
      changeStatus: refuse('Route 53'),
    },
    loadBalancer: traffic?.loadBalancer ?? {
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

/** The SDK clients of the local traffic adapters (exported for tests: their region and credentials). */
export async function localAwsClients(aws: LocalAwsSettings): Promise<{
  route53: Route53Client;
  elbv2: ElasticLoadBalancingV2Client;
}> {
  const [{ Route53Client }, { ElasticLoadBalancingV2Client }, { ROUTE53_REGION }] = await Promise.all([
    import('@aws-sdk/client-route-53'),
    import('@aws-sdk/client-elastic-load-balancing-v2'),
    import('../shared/aws/route53-dns.js'),
  ]);
  // `profile` makes the SDK's default chain read that profile (environment variables still come first).
  const profile = aws.profile ? { profile: aws.profile } : {};
  return {
    route53: new Route53Client({ ...profile, region: ROUTE53_REGION }),
    elbv2: new ElasticLoadBalancingV2Client({ ...profile, ...(aws.region ? { region: aws.region } : {}) }),
  };
}

/**
 * Route 53 and ELBv2 through the production adapters (shared/aws/), loaded on first use so that a
 * sandbox run never loads the SDK.
 */
export function localAwsTraffic(aws: LocalAwsSettings): { dns: Dns; loadBalancer: LoadBalancer } {
  let loaded: Promise<{ dns: Dns; loadBalancer: LoadBalancer }> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const [clients, { Route53Dns }, { Elbv2LoadBalancer }] = await Promise.all([
        localAwsClients(aws),
        import('../shared/aws/route53-dns.js'),
        import('../shared/aws/elbv2-load-balancer.js'),
      ]);
      return {
        dns: new Route53Dns(clients.route53),
        loadBalancer: new Elbv2LoadBalancer(clients.elbv2),
      };
    })());
  return {
    dns: {
      records: async (...a) => (await load()).dns.records(...a),
      upsert: async (...a) => (await load()).dns.upsert(...a),
      changeStatus: async (...a) => (await load()).dns.changeStatus(...a),
    },
    loadBalancer: {
      targets: async (...a) => (await load()).loadBalancer.targets(...a),
      register: async (...a) => (await load()).loadBalancer.register(...a),
      deregister: async (...a) => (await load()).loadBalancer.deregister(...a),
      health: async (...a) => (await load()).loadBalancer.health(...a),
    },
  };
}
