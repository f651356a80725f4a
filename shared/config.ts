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
 * The Lambda configuration, read once per cold start at the first invocation (never at import).
 * The parsers of the optional parts, the GitHub App and the service desk, are imported only when
 * their variables are set; the runbook settings (all optional variables) always.
 */
export async function configFromEnv(env: Env = process.env): Promise<Config> {
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
  const [githubApp, desk, runbook] = await Promise.all([
    env.GHES_OPS_GHES_URL?.trim()
      ? import('./github-app/config.js').then((m) => m.githubAppConfigFromEnv(env))
      : undefined,
    env.GHES_OPS_SERVICE_DESK?.trim()
      ? import('./service-desk/config.js').then((m) => m.deskConfigFromEnv(env))
      : undefined,
    import('./runbook/settings.js').then((m) => m.runbookFromEnv(env)),
  ]);
  return {
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
}
