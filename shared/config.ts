import { ConfigError } from './errors.js';
import type { GithubAppConfig } from './github-app/config.js';
import type { DeskConfig } from './service-desk/config.js';
import type { RunbookSettings } from './runbook/settings.js';

/**
 * Typed configuration. In Lambda it comes from environment variables set by serverless.yml and is
 * read once per cold start (`configFromEnv`), failing fast with the variable at fault. Locally it
 * comes from the embedded default merged with an optional JSON file (`local/config.ts`).
 */
export type RunnerKind = 'ssm' | 'ssh' | 'sandbox';

export interface Config {
  /** Deployment stage or `local`. */
  stage: string;
  appliance: {
    runner: RunnerKind;
    /** Primary appliance: EC2 instance id (ssm), host (ssh) or sandbox name. */
    primary: string;
    /** Replica appliance, when HA is configured. */
    replica?: string;
    /** SSH settings (runner `ssh`). */
    ssh?: { user: string; port: number; identityFile?: string; options?: string[] };
  };
  mail: {
    /** Sender of notifications, e.g. `ghes-ops <ghes-ops@example.com>`. */
    from: string;
    /** Default recipients of workflow notifications. */
    notify: string[];
  };
  /** Prefix of parameter names in the parameter store. */
  parameterPrefix: string;
  /** State machine key -> ARN (AWS) or key (local). */
  stateMachines: Record<string, string>;
  /** The GitHub App on GHES (issue 6); absent when GHES_OPS_GHES_URL is not set. */
  githubApp?: GithubAppConfig;
  /** The service desk (GHES_OPS_SERVICE_DESK in AWS; `local.serviceDesk` locally); absent when not deployed. */
  serviceDesk?: ServiceDeskRuntime;
  /** Where the runbook workflows look (TLS hostname, backup host, Jira prefix list): shared/runbook/settings.ts. */
  runbook?: RunbookSettings;
}

export interface ServiceDeskRuntime {
  desk: DeskConfig;
  /** The mail bucket: raw inbound mail (the SES receipt rule's S3 action) and attachments. */
  mailBucket?: string;
  /** Key prefix of raw inbound mail in the mail bucket (the S3 action's ObjectKeyPrefix). */
  inboundPrefix: string;
}

export type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const v = env[name]?.trim();
  if (!v)
    throw new ConfigError(
      `Environment variable ${name} is not set. Set it in serverless.yml (params) and redeploy.`,
    );
  return v;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The optional parts of a Lambda's configuration and their parsers. A function that reads a part
 * declares it in its handler (`lambdaHandler(..., { config: { serviceDesk: deskConfigFromEnv } })`),
 * so only the functions that use a part bundle its parser; serverless.yml gives exactly those
 * functions the part's variables (tests/serverless/template.test.ts checks both ways).
 */
export interface ConfigParts {
  /** GHES_OPS_GHES_URL and the GitHub App's settings: `githubAppConfigFromEnv`. */
  githubApp?: (env: Env) => GithubAppConfig;
  /** GHES_OPS_SERVICE_DESK (JSON): `deskConfigFromEnv`. */
  serviceDesk?: (env: Env) => DeskConfig;
}

/** The variable that carries each optional part (set only on the functions that declare it). */
export const CONFIG_PART_VARIABLES: Record<keyof ConfigParts, string> = {
  githubApp: 'GHES_OPS_GHES_URL',
  serviceDesk: 'GHES_OPS_SERVICE_DESK',
};

const declaredParts: ConfigParts = {};

/** Called by `lambdaHandler` with the parts its function declared. */
export function provideConfigParts(parts: ConfigParts): void {
  Object.assign(declaredParts, parts);
}

/**
 * The Lambda configuration, read once per cold start at the first invocation (never at import).
 * The optional parts are read with the parsers the function declared (`provideConfigParts`);
 * a part's variable set on a function that did not declare it is a deployment mistake and fails
 * fast. The runbook settings (all optional variables) are always read.
 */
export async function configFromEnv(
  env: Env = process.env,
  parts: ConfigParts = declaredParts,
): Promise<Config> {
  const runner = (env.GHES_OPS_RUNNER ?? 'ssm') as RunnerKind;
  if (runner !== 'ssm') {
    throw new ConfigError(
      `GHES_OPS_RUNNER must be "ssm" in AWS (Lambda has no ssh client), not ${JSON.stringify(runner)}.`,
    );
  }
  let stateMachines: Record<string, string> = {};
  if (env.GHES_OPS_STATE_MACHINES) {
    try {
      stateMachines = JSON.parse(env.GHES_OPS_STATE_MACHINES) as Record<string, string>;
    } catch {
      throw new ConfigError('GHES_OPS_STATE_MACHINES must be a JSON object of state machine key to ARN.');
    }
  }
  const primary = required(env, 'GHES_OPS_PRIMARY');
  const from = required(env, 'GHES_OPS_MAIL_FROM');
  const undeclared: (keyof ConfigParts)[] = [];
  const part = <K extends keyof ConfigParts>(key: K): ReturnType<NonNullable<ConfigParts[K]>> | undefined => {
    if (!env[CONFIG_PART_VARIABLES[key]]?.trim()) return undefined;
    const parse = parts[key];
    // Set for another reader (the doctor reads deployProbe's): not parsed here; read, it fails below.
    if (!parse) return void undeclared.push(key);
    return parse(env) as ReturnType<NonNullable<ConfigParts[K]>>;
  };
  const githubApp = part('githubApp');
  const desk = part('serviceDesk');
  const { runbookFromEnv } = await import('./runbook/settings.js');
  const runbook = runbookFromEnv(env);
  const config: Config = {
    stage: env.GHES_OPS_STAGE ?? 'dev',
    appliance: {
      runner,
      primary,
      replica: env.GHES_OPS_REPLICA?.trim() || undefined,
    },
    mail: { from, notify: splitList(env.GHES_OPS_NOTIFY) },
    parameterPrefix: env.GHES_OPS_PARAMETER_PREFIX ?? '/ghes-ops',
    stateMachines,
    ...(githubApp ? { githubApp } : {}),
    ...(desk
      ? {
          serviceDesk: {
            desk,
            ...(env.GHES_OPS_SERVICE_DESK_BUCKET?.trim()
              ? { mailBucket: env.GHES_OPS_SERVICE_DESK_BUCKET.trim() }
              : {}),
            inboundPrefix: env.GHES_OPS_SERVICE_DESK_PREFIX ?? 'inbound/',
          },
        }
      : {}),
    runbook,
  };
  // A part its function did not declare: reading it is a mistake in the handler, said at once.
  for (const key of undeclared)
    Object.defineProperty(config, key, {
      enumerable: false,
      get() {
        throw new ConfigError(
          `This function reads config.${key}, but its handler does not declare that part: add { config: { ${key}: ... } } ` +
            `to its lambdaHandler call (shared/config.ts ConfigParts). ${CONFIG_PART_VARIABLES[key]} is set but was not read.`,
        );
      },
    });
  return config;
}
