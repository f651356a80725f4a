import { lambdaHandler } from '../../shared/runtime/handler.js';
import { elbv2LoadBalancer, route53Dns } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { checkTraffic } from '../../shared/failover/traffic.js';

/** One poll: DNS change INSYNC then TTL elapsed, or the new target healthy. */
export const handler = lambdaHandler(
  'failoverCheckTraffic',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => checkTraffic(state, deps),
  { dns: route53Dns, loadBalancer: elbv2LoadBalancer },
);
