import { ConfigError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import type { ActionsSyncRequest } from './request.js';
import { createInstallationToken } from '../github-app/app-client.js';

/**
 * The destination token for the preflight's API calls. In app mode the fresh installation token
 * is also written (SecureString) to the parameter the host-side wrapper reads. Never logged.
 */
export async function destinationToken(
  request: ActionsSyncRequest,
  deps: Pick<Deps, 'config' | 'params'>,
): Promise<string> {
  if (request.auth.mode === 'pat') {
    const token = await deps.params.get(request.auth.tokenParameter);
    if (!token)
      throw new ConfigError(
        `The actions-sync token parameter ${request.auth.tokenParameter} does not exist. Create a PAT with the repo and workflow scopes for an owner of the destination organizations and store it: aws ssm put-parameter --type SecureString --name ${request.auth.tokenParameter} --value ghp_...`,
      );
    return token;
  }
  if (!deps.config.githubApp)
    throw new ConfigError(
      'GitHub App mode (auth.mode "app") needs the GitHub App, which is not configured in this deployment (ghesUrl). Use auth.mode "pat" with a token in SSM, or set up the GitHub App (docs/github-app.md).',
    );
  const { token } = await createInstallationToken(deps, request.auth.installationId);
  await deps.params.put(request.tokenParameter, token, { secure: true, overwrite: true });
  return token;
}
