import type { ErrorInfo } from '../errors.js';
import type { HookRun } from './hooks.js';
import type { LockInfo, ReleaseResult } from './lock.js';
import type { AntiFlapCheck } from './anti-flap.js';
import type { Preflight } from './preflight.js';
import type { Observers } from './observers.js';
import type { ApprovalDecision } from './approval.js';
import type { DrainCheck, FenceResult } from './fence.js';
import type { PromotionCheck, PromotionStart } from './promote.js';
import type { TrafficCheck, TrafficSwitch } from './traffic.js';
import type { VerifyCheck } from './verify.js';
import type { TeardownResult } from './teardown.js';
import type { FailoverRequest } from './request.js';

/** The execution's state as it flows through statemachines/failover.asl.json: one key per step. */
export interface FailoverState {
  request: FailoverRequest;
  lock?: LockInfo;
  antiFlap?: AntiFlapCheck;
  preflight?: Preflight;
  observers?: Observers;
  approval?: ApprovalDecision;
  preHooks?: HookRun[];
  fence?: FenceResult;
  drain?: DrainCheck;
  promotion?: PromotionStart;
  promotionCheck?: PromotionCheck;
  traffic?: TrafficSwitch;
  trafficCheck?: TrafficCheck;
  verify?: VerifyCheck;
  teardown?: TeardownResult;
  postHooks?: HookRun[];
  release?: ReleaseResult;
  /** Set by a Catch: the error that sent the execution to the failure path. */
  error?: ErrorInfo;
}
