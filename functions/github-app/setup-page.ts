import { githubAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { dynamoRecords } from '../../shared/aws/wiring.js';
import { setupPage } from '../../shared/github-app/flow.js';
import { httpApiEvent, query, result } from '../../shared/http/api-event.js';

/** GET /github-app/setup: the page that posts the generated manifest to GHES with a one-time state. */
export const handler = lambdaHandler(
  'githubAppSetup',
  httpApiEvent,
  async (event, deps) => {
    const page = await setupPage(query(event), deps);
    return result(page.status, page.headers, page.body);
  },
  { records: dynamoRecords },
  { config: githubAppSettings },
);
