import { dynamoRecords, ghesTickets, ssmParameters } from '../../shared/aws/wiring.js';
import { deskAndAppSettings } from '../../shared/aws/config-parts.js';
import { lambdaHandler } from '../../shared/runtime/handler.js';
import { parseSlaCheckInput, runSlaCheck } from '../../shared/service-desk/sla.js';

/** Scheduled (EventBridge Scheduler, disabled by default): labels and mentions SLA breaches, once each. */
export const handler = lambdaHandler(
  'serviceDeskSla',
  parseSlaCheckInput,
  runSlaCheck,
  {
    // The tickets are read and labelled as the GitHub App's installation (or the token parameter).
    params: ssmParameters,
    tickets: ghesTickets,
    // One record per breach: never labelled or mentioned twice.
    records: dynamoRecords,
  },
  { config: deskAndAppSettings },
);
