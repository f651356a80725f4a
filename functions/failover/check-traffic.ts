import { failoverStep } from '../../shared/failover/step.js';
import { elbv2LoadBalancer, httpsAppliances, route53Dns } from '../../shared/aws/wiring.js';
import { checkTraffic } from '../../shared/failover/traffic.js';

/** One poll: DNS change INSYNC then TTL elapsed, the new target healthy, or (manual) https://<hostname>/status 200. */
export const handler = failoverStep('failoverCheckTraffic', checkTraffic, {
  dns: route53Dns,
  loadBalancer: elbv2LoadBalancer,
  http: httpsAppliances,
});
