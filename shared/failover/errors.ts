import { GhesOpsError } from '../errors.js';

/**
 * Named errors of the failover workflow. The `name` is what statemachines/failover.asl.json
 * catches and what an execution ends with; messages say what was seen and what to do.
 */

/** Another failover holds the lock: this execution did nothing. */
export class FailoverInProgress extends GhesOpsError {
  readonly name = 'FailoverInProgress';
}

/** The last failover is inside the anti-flapping window and the input did not acknowledge it. */
export class RecentFailover extends GhesOpsError {
  readonly name = 'RecentFailover';
}

/** A replication channel is CRITICAL, lags past the limit, or replication is not running. */
export class ReplicationNotHealthy extends GhesOpsError {
  readonly name = 'ReplicationNotHealthy';
}

/** Unplanned mode, but the two observers do not both see the primary down. */
export class PrimaryNotConfirmedDown extends GhesOpsError {
  readonly name = 'PrimaryNotConfirmedDown';
}

/** The operator rejected the failover (approval gate). */
export class FailoverRejected extends GhesOpsError {
  readonly name = 'FailoverRejected';
}

/** Nobody approved or rejected within the approval timeout. */
export class ApprovalTimedOut extends GhesOpsError {
  readonly name = 'ApprovalTimedOut';
}

/** The approval link or CLI call could not be matched to a waiting approval. */
export { ApprovalNotFound } from '../approval/gate.js';

/** A pre-failover hook failed: nothing was changed. */
export class HookFailed extends GhesOpsError {
  readonly name = 'HookFailed';
}

/** The primary could not be fenced (planned mode) or did not drain in time. */
export class FenceFailed extends GhesOpsError {
  readonly name = 'FenceFailed';
}

/** `ghe-repl-promote` failed (its output is in the details). Traffic was not switched. */
export class PromotionFailed extends GhesOpsError {
  readonly name = 'PromotionFailed';
}

/** `ghe-repl-promote` was still running at the promotion deadline. Traffic was not switched. */
export class PromotionTimeout extends GhesOpsError {
  readonly name = 'PromotionTimeout';
}

/**
 * A read-only check of a later step's target failed or disproved it (the Route 53 record is not in
 * the zone or does not point at the primary, the target group does not hold the primary, the read
 * itself was refused): the failover is refused before anything changed.
 */
export class TrafficCheckFailed extends GhesOpsError {
  readonly name = 'TrafficCheckFailed';
}

/** Planned mode, but the primary does not answer: it cannot be fenced and drained. */
export class PrimaryUnreachable extends GhesOpsError {
  readonly name = 'PrimaryUnreachable';
}

/** The DNS change or load balancer move failed or did not settle in time. */
export class TrafficSwitchFailed extends GhesOpsError {
  readonly name = 'TrafficSwitchFailed';
}

/** The loud outcome: the replica IS the primary now, but clients are still sent to the old one. */
export class PromotedButTrafficNotSwitched extends GhesOpsError {
  readonly name = 'PromotedButTrafficNotSwitched';
}

/** Traffic was switched, but the new primary did not answer as a primary in time. */
export class VerificationFailed extends GhesOpsError {
  readonly name = 'VerificationFailed';
}
