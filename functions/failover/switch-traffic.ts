import { failoverStep } from '../../shared/failover/step.js';
import { elbv2LoadBalancer, route53Dns } from '../../shared/aws/wiring.js';
import { switchTraffic } from '../../shared/failover/traffic.js';

/** Route 53 UPSERT, load balancer target move, or (manual) the operator's confirmation recorded; only after a confirmed promotion. */
export const handler = failoverStep('failoverSwitchTraffic', switchTraffic, {
  dns: route53Dns,
  loadBalancer: elbv2LoadBalancer,
});
