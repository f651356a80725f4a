import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LbTarget, LbTargetHealth, LoadBalancer, TargetHealthState } from '../traffic/load-balancer.js';
import { TrafficCheckFailed, TrafficSwitchFailed } from '../failover/errors.js';
import { awsErrorName, errorMessage } from './aws-error.js';

/** The SDK module, loaded on the first call: never at import, so a cold start stays small (shared/aws/wiring.ts). */
const sdk = () => import('@aws-sdk/client-elastic-load-balancing-v2');

/** ELBv2 target groups (ALB or NLB): register the new primary, deregister the old one. */
export class Elbv2LoadBalancer implements LoadBalancer {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  /** DescribeTargetHealth without targets: every registered target of the group. */
  async targets(targetGroupArn: string): Promise<LbTargetHealth[]> {
    try {
      const out = await this.client.send(
        new (await sdk()).DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
      );
      return (out.TargetHealthDescriptions ?? []).map((d) => ({
        id: d.Target?.Id ?? '',
        port: d.Target?.Port ?? 0,
        state: d.TargetHealth?.State ?? 'unavailable',
        ...(d.TargetHealth?.Reason ? { reason: d.TargetHealth.Reason } : {}),
      }));
    } catch (err) {
      throw new TrafficCheckFailed(
        `ELBv2 could not describe the targets of ${targetGroupArn}: ${awsErrorName(err) ?? 'Error'}: ${errorMessage(err)}`,
        { awsError: awsErrorName(err) },
      );
    }
  }

  async register(targetGroupArn: string, targets: LbTarget[]): Promise<void> {
    await this.call(`registering ${targets.map((t) => t.id).join(', ')}`, async () =>
      this.client.send(
        new (await sdk()).RegisterTargetsCommand({
          TargetGroupArn: targetGroupArn,
          Targets: targets.map((t) => ({ Id: t.id, Port: t.port })),
        }),
      ),
    );
  }

  async deregister(targetGroupArn: string, targets: LbTarget[]): Promise<void> {
    await this.call(`deregistering ${targets.map((t) => t.id).join(', ')}`, async () =>
      this.client.send(
        new (await sdk()).DeregisterTargetsCommand({
          TargetGroupArn: targetGroupArn,
          Targets: targets.map((t) => ({ Id: t.id, Port: t.port })),
        }),
      ),
    );
  }

  async health(targetGroupArn: string, target: LbTarget): Promise<TargetHealthState> {
    const out = await this.call(`reading the health of ${target.id}`, async () =>
      this.client.send(
        new (await sdk()).DescribeTargetHealthCommand({
          TargetGroupArn: targetGroupArn,
          Targets: [{ Id: target.id, Port: target.port }],
        }),
      ),
    );
    return out.TargetHealthDescriptions?.[0]?.TargetHealth?.State ?? 'unavailable';
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw new TrafficSwitchFailed(
        `ELBv2 failed ${what}: ${awsErrorName(err) ?? 'Error'}: ${errorMessage(err)}`,
        { awsError: awsErrorName(err) },
      );
    }
  }
}
