import { lambdaHandler } from '../runtime/handler.js';
import type { Deps } from '../runtime/deps.js';
import type { Wiring } from '../runtime/aws-adapters.js';
import { parseFailoverState, type FailoverState } from './state.js';

/**
 * A failover step that receives the whole execution state (statemachines/failover.asl.json passes
 * `$` to it): the state is validated once by `parseFailoverState` before `run` sees it, so no step
 * casts or re-checks it. `wiring` is the step's adapters, as for every `lambdaHandler`.
 */
export function failoverStep<O>(
  name: string,
  run: (state: FailoverState, deps: Deps) => Promise<O>,
  wiring: Wiring = {},
): ReturnType<typeof lambdaHandler<FailoverState, O>> {
  return lambdaHandler(name, (event) => parseFailoverState(event), run, wiring);
}
