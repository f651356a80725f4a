import type { ConfigParts } from '../config.js';
import { githubAppConfigFromEnv } from '../github-app/config.js';
import { deskConfigFromEnv } from '../service-desk/config.js';

/**
 * The optional configuration parts a function declares in its handler (`lambdaHandler`'s last
 * argument), beside its wiring: only those functions bundle the parsers, and serverless.yml gives
 * exactly them the variables (tests/serverless/template.test.ts).
 */
export const githubAppSettings: ConfigParts = { githubApp: githubAppConfigFromEnv };
export const deskSettings: ConfigParts = { serviceDesk: deskConfigFromEnv };
/** The service desk functions: the desk and, for its GHES calls, the GitHub App's settings. */
export const deskAndAppSettings: ConfigParts = { ...deskSettings, ...githubAppSettings };
