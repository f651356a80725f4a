import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer, ssmParameters } from '../../shared/aws/wiring.js';
import { reportActionsSync, type ActionsSyncState } from '../../shared/actions-sync/report.js';

/** The summary email (each action, outcome, duration); returns the counts and the failed actions. */
export const handler = lambdaHandler(
  'actionsSyncReport',
  (event) => (event ?? {}) as ActionsSyncState,
  async (state, deps) => reportActionsSync(state, deps),
  { mailer: sesMailer, params: ssmParameters },
);
