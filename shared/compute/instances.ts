/** EC2 instances: stopping the old primary is the last-resort fence of an unplanned failover. */
export interface StopResult {
  instanceId: string;
  previousState: string;
  currentState: string;
}

export interface Instances {
  /** StopInstances; `force` skips the guest OS shutdown (a hung appliance would not shut down). */
  stop(instanceId: string, opts: { force: boolean }): Promise<StopResult>;
}
