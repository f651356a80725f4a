import { ParameterNotFound } from '../errors.js';
import type { ParameterStore } from '../params/parameter-store.js';

/**
 * The app's credentials in the parameter store (SSM SecureStrings in AWS), one parameter each
 * under `<prefix>/github-app/credentials/`. They are never logged, returned or written elsewhere.
 */
export interface AppCredentials {
  appId: number;
  slug: string;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  privateKey: string;
}

const FIELDS: Record<keyof AppCredentials, string> = {
  appId: 'app-id',
  slug: 'slug',
  clientId: 'client-id',
  clientSecret: 'client-secret',
  webhookSecret: 'webhook-secret',
  privateKey: 'private-key',
};

export const credentialsPath = (prefix: string): string =>
  `${prefix.replace(/\/$/, '')}/github-app/credentials`;

export const credentialParameter = (prefix: string, field: keyof AppCredentials): string =>
  `${credentialsPath(prefix)}/${FIELDS[field]}`;

/** Stores every credential as a SecureString, replacing a previous app's. Empty values are skipped. */
export async function storeCredentials(
  params: ParameterStore,
  prefix: string,
  creds: Partial<AppCredentials>,
): Promise<string[]> {
  const stored: string[] = [];
  // The app id last: readers treat its presence as "registered", so it must not precede the key.
  const order: (keyof AppCredentials)[] = [
    'slug',
    'clientId',
    'clientSecret',
    'webhookSecret',
    'privateKey',
    'appId',
  ];
  for (const field of order) {
    const value = creds[field];
    if (value === undefined || value === null || value === '') continue;
    const name = credentialParameter(prefix, field);
    await params.put(name, String(value), { secure: true, overwrite: true });
    stored.push(name);
  }
  return stored;
}

/** The stored credentials, or `undefined` when no app is registered. */
export async function readCredentials(
  params: ParameterStore,
  prefix: string,
): Promise<AppCredentials | undefined> {
  const appId = await params.get(credentialParameter(prefix, 'appId'));
  if (!appId) return undefined;
  const get = (f: keyof AppCredentials) => params.get(credentialParameter(prefix, f));
  const [slug, clientId, clientSecret, webhookSecret, privateKey] = await Promise.all([
    get('slug'),
    get('clientId'),
    get('clientSecret'),
    get('webhookSecret'),
    get('privateKey'),
  ]);
  if (!privateKey || !webhookSecret)
    throw new ParameterNotFound(
      `The GitHub App ${appId} is registered but its private key or webhook secret is missing under ${credentialsPath(prefix)}: run "ghes-ops app import" or the setup again.`,
    );
  return {
    appId: Number(appId),
    slug: slug ?? '',
    clientId: clientId ?? '',
    clientSecret: clientSecret ?? '',
    webhookSecret,
    privateKey,
  };
}
