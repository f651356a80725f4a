import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp, forgetGithubApp, githubApp } from '../../shared/github-app/app-client.js';
import { APP_ROUTES, requireGithubApp } from '../../shared/github-app/config.js';
import { credentialsPath, readCredentials, storeCredentials } from '../../shared/github-app/credentials.js';
import { FEATURE_NEEDS, grants } from '../../shared/github-app/manifest.js';
import type { ParameterStore } from '../../shared/params/parameter-store.js';
import { FileParameterStore } from '../adapters/file-parameter-store.js';
import type { LocalConfig } from '../config.js';

/**
 * `ghes-ops app setup|import|status`: the GitHub App from the command line. Secrets are read from
 * files and written to the parameter store only; nothing here prints one.
 */
export const APP_USAGE = `  ghes-ops app setup [--url <stack URL>] [--org <org> | --personal]
                                     print the setup page URL of the local (npm start) or deployed stack
  ghes-ops app import --id <app id> --key-file <pem> --webhook-secret-file <file>
                                     store an existing app's credentials (checked against GHES first)
  ghes-ops app status [--json]       the registered app, its installations, and the permissions
                                     each enabled feature needs against those granted`;

class AppUsageError extends Error {
  override readonly name = 'UsageError';
}

export interface AppCliIo {
  out: (line: string) => void;
  params?: ParameterStore;
}

/** The local parameter file of the configured state dir (the one the local world uses). */
export const localParams = (config: LocalConfig): ParameterStore =>
  new FileParameterStore(path.join(config.local.stateDir, 'parameters.json'));

export async function appCommand(args: string[], config: LocalConfig, io: AppCliIo): Promise<number> {
  const [sub, ...rest] = args;
  const params = io.params ?? localParams(config);
  switch (sub) {
    case 'setup':
      return setup(rest, config, io);
    case 'import':
      return importApp(rest, config, params, io);
    case 'status':
      return status(rest, config, params, io);
    default:
      throw new AppUsageError(`app: which command? setup, import or status.\n\n${APP_USAGE}`);
  }
}

function setup(args: string[], config: LocalConfig, io: AppCliIo): number {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, org: { type: 'string' }, personal: { type: 'boolean' } },
  });
  const cfg = requireGithubApp(config);
  const base = (values.url ?? cfg.publicUrl).replace(/\/+$/, '');
  const query = values.personal
    ? '?account=personal'
    : values.org
      ? `?org=${encodeURIComponent(values.org)}`
      : '';
  io.out(`${base}${APP_ROUTES.setup}${query}`);
  io.out(
    `Open it in a browser signed in to ${cfg.ghesUrl} as ${values.personal ? 'yourself' : `an owner of ${values.org ?? cfg.org ?? 'your account'}`}` +
      `${values.url ? '' : ' (the local stack must be running: npm start)'}; finish within one hour.`,
  );
  return 0;
}

async function importApp(
  args: string[],
  config: LocalConfig,
  params: ParameterStore,
  io: AppCliIo,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      id: { type: 'string' },
      'key-file': { type: 'string' },
      'webhook-secret-file': { type: 'string' },
    },
  });
  const appId = Number(values.id);
  if (!Number.isInteger(appId) || appId <= 0)
    throw new AppUsageError('--id must be the numeric GitHub App id.');
  if (!values['key-file'] || !values['webhook-secret-file'])
    throw new AppUsageError('--key-file (the app private key, PEM) and --webhook-secret-file are required.');
  const privateKey = await readFile(values['key-file'], 'utf8');
  try {
    createPrivateKey(privateKey);
  } catch {
    throw new AppUsageError(`${values['key-file']} is not a PEM private key.`);
  }
  const webhookSecret = (await readFile(values['webhook-secret-file'], 'utf8')).trim();
  if (!webhookSecret) throw new AppUsageError(`${values['webhook-secret-file']} is empty.`);
  const cfg = requireGithubApp(config);
  // Check the key against GHES before storing anything.
  let data: AppInfo;
  try {
    data = (await (await buildApp(cfg, { appId, privateKey, webhookSecret })).octokit.request('GET /app'))
      .data as AppInfo;
  } catch (e) {
    io.out(
      `GHES (${cfg.ghesUrl}) refused app ${appId} with this key: ${(e as { status?: number }).status ?? (e as Error).message}. Nothing was stored.`,
    );
    return 1;
  }
  const stored = await storeCredentials(params, config.parameterPrefix, {
    appId,
    slug: data.slug ?? '',
    clientId: data.client_id ?? '',
    webhookSecret,
    privateKey,
  });
  forgetGithubApp();
  io.out(
    `Imported app ${appId} (${data.slug ?? data.name}) owned by ${data.owner?.login ?? '?'}: ${stored.length} parameters under ${credentialsPath(config.parameterPrefix)}.`,
  );
  io.out(
    'The client secret is not imported (GHES shows it once); OAuth user flows are not used by ghes-ops.',
  );
  return 0;
}

interface AppInfo {
  slug?: string;
  client_id?: string;
  name?: string;
  html_url?: string;
  owner?: { login?: string } | null;
  permissions?: Record<string, string>;
}

interface Installation {
  id: number;
  account: { login?: string; type?: string } | null;
  permissions: Record<string, string | undefined>;
  events?: string[];
}

async function status(
  args: string[],
  config: LocalConfig,
  params: ParameterStore,
  io: AppCliIo,
): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const cfg = requireGithubApp(config);
  const creds = await readCredentials(params, config.parameterPrefix);
  if (!creds) {
    io.out(
      `No GitHub App is registered for ${cfg.ghesUrl}. Register one: ghes-ops app setup (or ghes-ops app import).`,
    );
    return 1;
  }
  const { app } = await githubApp({ config, params });
  const info = (await app.octokit.request('GET /app')).data as AppInfo | null;
  const { data: installations } = (await app.octokit.request('GET /app/installations')) as unknown as {
    data: Installation[];
  };
  const features = cfg.features.map((feature) => ({
    feature,
    installations: installations.map((inst) => {
      const missing = Object.entries(FEATURE_NEEDS[feature].permissions)
        .filter(([perm, need]) => !grants(inst.permissions[perm], need))
        .map(([perm, need]) => ({
          permission: perm,
          needed: need,
          granted: inst.permissions[perm] ?? 'none',
        }));
      return { installationId: inst.id, account: inst.account?.login ?? '?', missing };
    }),
  }));
  const report = {
    app: {
      id: creds.appId,
      slug: info?.slug ?? creds.slug,
      name: info?.name,
      owner: info?.owner?.login,
      ghes: cfg.ghesUrl,
      permissions: info?.permissions,
    },
    installations: installations.map((i) => ({
      id: i.id,
      account: i.account?.login,
      permissions: i.permissions,
    })),
    features,
  };
  if (values.json) {
    io.out(JSON.stringify(report, null, 2));
  } else {
    io.out(`app ${report.app.id} ${report.app.slug} on ${cfg.ghesUrl} (owner ${report.app.owner ?? '?'})`);
    if (installations.length === 0)
      io.out(`  not installed: install it at ${info?.html_url ?? cfg.ghesUrl}/installations/new`);
    for (const i of report.installations)
      io.out(
        `  installation ${i.id} on ${i.account}: ${Object.entries(i.permissions)
          .map(([k, v]) => `${k}:${v}`)
          .join(', ')}`,
      );
    for (const f of features) {
      for (const i of f.installations) {
        if (i.missing.length === 0) io.out(`  ${f.feature} on ${i.account}: ok`);
        else {
          io.out(
            `  ${f.feature} on ${i.account}: MISSING ${i.missing.map((m) => `${m.permission}:${m.needed} (granted ${m.granted})`).join(', ')}`,
          );
          io.out(
            `    fix: add them in the app's settings (${info?.html_url ?? cfg.ghesUrl}, Permissions & events), then an owner of ${i.account} accepts them on the installation page.`,
          );
        }
      }
    }
  }
  const missing =
    features.some((f) => f.installations.some((i) => i.missing.length > 0)) || installations.length === 0;
  return missing ? 1 : 0;
}
