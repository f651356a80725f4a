import { failoverStep } from '../../shared/failover/step.js';
import { elbv2LoadBalancer, httpsAppliances, route53Dns, ssmRunner } from '../../shared/aws/wiring.js';
import { preflight } from '../../shared/failover/preflight.js';

/**
 * Read-only, before anything changes: ghe-repl-status -vv on the replica (ReplicationNotHealthy
 * unless force), the Route 53 record or target group (TrafficCheckFailed), the primary answering
 * in planned mode (PrimaryUnreachable); manual traffic: https://<hostname>/status.
 */
export const handler = failoverStep('failoverPreflight', (state, deps) => preflight(state.request, deps), {
  runner: ssmRunner,
  dns: route53Dns,
  loadBalancer: elbv2LoadBalancer,
  http: httpsAppliances,
});
