import { githubAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { dynamoRecords, ssmParameters } from '../../shared/aws/wiring.js';
import { manifestRedirect } from '../../shared/github-app/flow.js';
import { httpApiEvent, query, result } from '../../shared/http/api-event.js';

/** GET /github-app/redirect: checks the state, exchanges the code, stores the credentials in SSM. */
export const handler = lambdaHandler(
  'githubAppRedirect',
  httpApiEvent,
  async (event, deps) => {
    const page = await manifestRedirect(query(event), deps);
    return result(page.status, page.headers, page.body);
  },
  { params: ssmParameters, records: dynamoRecords },
  { config: githubAppSettings },
);
