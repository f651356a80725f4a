import { lambdaHandler } from '../../shared/runtime/handler.js';
import { sesMailer } from '../../shared/aws/wiring.js';
import { stepEvent } from '../../shared/runtime/step-event.js';
import { notifyJiraOutcome, type JiraPrefixListState } from '../../shared/jira-prefix-list/outcome.js';

/** Emails what was found, what changed, and what to do (approve, re-run, fix access). */
export const handler = lambdaHandler(
  'jiraPrefixListNotify',
  (event) => stepEvent(event, ['request']),
  async (state, deps) => notifyJiraOutcome(state as unknown as JiraPrefixListState, deps),
  { mailer: sesMailer },
);
