import { githubAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { fetchGhesApi, ssmParameters } from '../../shared/aws/wiring.js';
import { parseActionsSyncInput } from '../../shared/actions-sync/request.js';

/** Validates the input and loads and parses the list of actions; nothing runs on a bad list. */
export const handler = lambdaHandler(
  'actionsSyncConfigure',
  (event) => event,
  async (input, deps) => {
    const request = await parseActionsSyncInput(input, deps);
    const { actions: _actions, ...settings } = request;
    return { request, settings };
  },
  { params: ssmParameters, ghesApi: fetchGhesApi },
  { config: githubAppSettings },
);
