import type { Config } from '../../config.js';
import {
  aliasKey,
  deskConfigFromEnv,
  defaultKey,
  incomingAddress,
  type DeskConfig,
  type DeskProject,
} from '../config.js';

/**
 * The service desk settings and projects as the custom-email verification sees them. In Lambda
 * they come from GHES_OPS_SERVICE_DESK; the local runtime's configuration carries them
 * (`local.serviceDesk.desk`, local/config.ts), so the same steps run on a laptop.
 */
export function deskConfigFor(config: Config): DeskConfig {
  const local = (config as { local?: { serviceDesk?: { desk?: DeskConfig } } }).local?.serviceDesk?.desk;
  return local ?? deskConfigFromEnv();
}

/** The service desk addresses of a project (default key, then the alias), lowercased. */
export function projectDeskAddresses(desk: DeskConfig, project: DeskProject): string[] {
  const alias = aliasKey(project);
  return [defaultKey(project), ...(alias ? [alias] : [])].map((key) =>
    incomingAddress(desk, key).toLowerCase(),
  );
}

/** Who hears about a verification: the project's owners and whoever started it, once each. */
export function verificationRecipients(project: DeskProject, triggeredBy: string): string[] {
  return [...new Set([...(project.owners ?? []), triggeredBy].map((a) => a.toLowerCase()))];
}
