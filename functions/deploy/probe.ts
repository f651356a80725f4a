import { lambdaHandler } from '../../shared/runtime/handler.js';
import { httpsAppliances } from '../../shared/aws/wiring.js';
import { probeGhes, probeHosts } from '../../shared/deploy/probe.js';

/** `ghes-ops aws doctor`: can the functions' network reach GHES? The event is ignored. */
export const handler = lambdaHandler(
  'deployProbe',
  () => probeHosts(process.env),
  async (hosts, deps) => probeGhes(hosts, deps),
  { http: httpsAppliances },
);
