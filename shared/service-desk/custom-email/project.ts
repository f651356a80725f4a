import type { Config } from '../../config.js';
import { ConfigError } from '../../errors.js';
import { projectKeys } from '../aliases.js';
import { incomingAddress, type DeskConfig, type DeskProject } from '../config.js';

/**
 * The service desk settings and projects. In Lambda they come from GHES_OPS_SERVICE_DESK
 * (`configFromEnv`); the local world puts `local.serviceDesk.desk` in the same place, so the same
 * handlers run on a laptop.
 */
export function deskConfigFor(config: Pick<Config, 'serviceDesk'>): DeskConfig {
  if (config.serviceDesk) return config.serviceDesk.desk;
  throw new ConfigError(
    'The service desk is not configured: environment variable GHES_OPS_SERVICE_DESK (the serviceDesk param in serverless.yml) is not set.',
  );
}

/** The service desk addresses of a project (default key, then the suffix and the aliases), lowercased. */
export function projectDeskAddresses(desk: DeskConfig, project: DeskProject): string[] {
  return projectKeys(project).map((key) => incomingAddress(desk, key).toLowerCase());
}

/** Who hears about a verification: the project's owners and whoever started it, once each. */
export function verificationRecipients(project: DeskProject, triggeredBy: string): string[] {
  return [...new Set([...(project.owners ?? []), triggeredBy].map((a) => a.toLowerCase()))];
}
