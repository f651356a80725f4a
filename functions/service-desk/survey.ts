import { dynamoRecords, ghesTickets, ssmParameters } from '../../shared/aws/wiring.js';
import { httpApiEvent } from '../../shared/http/api-event.js';
import { deskAndAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { serveSatisfactionRoute } from '../../shared/service-desk/satisfaction.js';

/**
 * HTTP API: the satisfaction survey link. GET shows the confirmation page (records nothing); POST
 * records the rating once (a label and a comment on the ticket).
 */
export const handler = lambdaHandler(
  'serviceDeskSurvey',
  httpApiEvent,
  serveSatisfactionRoute,
  {
    // The signing key (read only), and the GHES token when no GitHub App is registered.
    params: ssmParameters,
    // The link's single use.
    records: dynamoRecords,
    // The rating's label and comment, as the GitHub App's installation.
    tickets: ghesTickets,
  },
  { config: deskAndAppSettings },
);
