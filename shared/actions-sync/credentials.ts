import { ConfigError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import type { ActionsSyncRequest } from './request.js';

/**
 * GitHub App mode: an installation token minted by the GitHub App module (issue 6). Until that
 * module registers an implementation with `setInstallationTokens`, app mode fails with a
 * ConfigError that says so; PAT mode needs nothing here.
 */
export interface InstallationToken {
  token: string;
  expiresAt: string;
}

export interface InstallationTokens {
  /** A token of the installation (the app's only installation when no id is given). */
  create(installationId?: number): Promise<InstallationToken>;
}

let installationTokens: InstallationTokens | undefined;

export function setInstallationTokens(impl: InstallationTokens | undefined): void {
  installationTokens = impl;
}

/**
 * The destination token for the preflight's API calls. In app mode the fresh installation token
 * is also written (SecureString) to the parameter the host-side wrapper reads. Never logged.
 */
export async function destinationToken(request: ActionsSyncRequest, deps: Deps): Promise<string> {
  if (request.auth.mode === 'pat') {
    const token = await deps.params.get(request.auth.tokenParameter);
    if (!token)
      throw new ConfigError(
        `The actions-sync token parameter ${request.auth.tokenParameter} does not exist. Create a PAT with the repo and workflow scopes for an owner of the destination organizations and store it: aws ssm put-parameter --type SecureString --name ${request.auth.tokenParameter} --value ghp_...`,
      );
    return token;
  }
  if (!installationTokens)
    throw new ConfigError(
      'GitHub App mode (auth.mode "app") needs the GitHub App module, which is not configured in this deployment. Use auth.mode "pat" with a token in SSM, or set up the GitHub App.',
    );
  const { token } = await installationTokens.create(request.auth.installationId);
  await deps.params.put(request.tokenParameter, token, { secure: true, overwrite: true });
  return token;
}
