import { githubAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { fetchGhesApi, sfnExecutions, ssmParameters } from '../../shared/aws/wiring.js';
import { watchUpgrade } from '../../shared/actions-sync/watch.js';

/** Scheduled: starts actions-sync when GHES's installed_version changed since the last check. */
export const handler = lambdaHandler(
  'actionsSyncWatchUpgrade',
  (event) => event,
  async (input, deps) => watchUpgrade(input, deps),
  { ghesApi: fetchGhesApi, params: ssmParameters, executions: sfnExecutions },
  { config: githubAppSettings },
);
