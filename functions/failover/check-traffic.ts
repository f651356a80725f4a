import { failoverStep } from '../../shared/failover/step.js';
import { elbv2LoadBalancer, route53Dns } from '../../shared/aws/wiring.js';
import { checkTraffic } from '../../shared/failover/traffic.js';

/** One poll: DNS change INSYNC then TTL elapsed, or the new target healthy. */
export const handler = failoverStep('failoverCheckTraffic', checkTraffic, {
  dns: route53Dns,
  loadBalancer: elbv2LoadBalancer,
});
