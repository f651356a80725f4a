import { Route53Client } from '@aws-sdk/client-route-53';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ROUTE53_REGION, Route53Dns } from '../../shared/aws/route53-dns.js';
import { Elbv2LoadBalancer } from '../../shared/aws/elbv2-load-balancer.js';
import { provideAwsAdapter } from '../../shared/runtime/aws-adapters.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import type { FailoverState } from '../../shared/failover/state.js';
import { switchTraffic } from '../../shared/failover/traffic.js';

provideAwsAdapter('dns', () => new Route53Dns(new Route53Client({ region: ROUTE53_REGION })));
provideAwsAdapter('loadBalancer', () => new Elbv2LoadBalancer(new ElasticLoadBalancingV2Client({})));

/** Route 53 UPSERT or load balancer target move, only after a confirmed promotion. */
export const handler = lambdaHandler(
  'failoverSwitchTraffic',
  (event) => stepEvent(event, ['request']) as unknown as FailoverState,
  async (state, deps) => switchTraffic(state, deps),
);
