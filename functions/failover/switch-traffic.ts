import { lambdaHandler } from '../../shared/runtime/handler.js';
import { elbv2LoadBalancer, route53Dns } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { switchTraffic } from '../../shared/failover/traffic.js';

/** Route 53 UPSERT or load balancer target move, only after a confirmed promotion. */
export const handler = lambdaHandler(
  'failoverSwitchTraffic',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => switchTraffic(state, deps),
  { dns: route53Dns, loadBalancer: elbv2LoadBalancer },
);
