/** Load balancer targets: ELBv2 target groups in AWS, the sandbox load balancer locally. */
export interface LbTarget {
  /** EC2 instance id (instance target groups) or IP address. */
  id: string;
  port: number;
}

/** `initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable` (ELBv2 target states). */
export type TargetHealthState = string;

/** A registered target and its health (DescribeTargetHealth). */
export interface LbTargetHealth extends LbTarget {
  state: TargetHealthState;
  /** ELBv2's reason code when not healthy (`Target.FailedHealthChecks`, ...). */
  reason?: string;
}

export interface LoadBalancer {
  /**
   * Read only: every target registered in the group with its health. Throws `TrafficCheckFailed`
   * naming the service's error (`TargetGroupNotFound`, `AccessDenied`).
   */
  targets(targetGroupArn: string): Promise<LbTargetHealth[]>;
  register(targetGroupArn: string, targets: LbTarget[]): Promise<void>;
  deregister(targetGroupArn: string, targets: LbTarget[]): Promise<void>;
  health(targetGroupArn: string, target: LbTarget): Promise<TargetHealthState>;
}
