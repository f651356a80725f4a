/** Load balancer targets: ELBv2 target groups in AWS, the sandbox load balancer locally. */
export interface LbTarget {
  /** EC2 instance id (instance target groups) or IP address. */
  id: string;
  port: number;
}

/** `initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable` (ELBv2 target states). */
export type TargetHealthState = string;

export interface LoadBalancer {
  register(targetGroupArn: string, targets: LbTarget[]): Promise<void>;
  deregister(targetGroupArn: string, targets: LbTarget[]): Promise<void>;
  health(targetGroupArn: string, target: LbTarget): Promise<TargetHealthState>;
}
