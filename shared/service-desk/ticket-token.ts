import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { githubAppRegistered, installationTokenProvider } from '../github-app/app-client.js';
import { apiBase, requireGithubApp } from '../github-app/config.js';
import type { ParameterStore } from '../params/parameter-store.js';
import { RestTicketRepository, type TokenProvider } from './tickets.js';

/** The SecureString holding the service desk's GHES token when no GitHub App is registered. */
export const ticketTokenParameter = (parameterPrefix: string): string =>
  `${parameterPrefix.replace(/\/$/, '')}/service-desk/github-token`;

/**
 * The token the desk writes tickets with: the GitHub App's installation (the support bot) when an
 * app is registered, otherwise the token in `<prefix>/service-desk/github-token`. Decided on every
 * call, so registering the app later takes effect without a restart.
 */
export function ticketToken(deps: { config: Config; params: ParameterStore }): TokenProvider {
  let app: TokenProvider | undefined;
  return async () => {
    if (await githubAppRegistered(deps)) {
      app ??= installationTokenProvider(deps);
      return app();
    }
    const name = ticketTokenParameter(deps.config.parameterPrefix);
    const value = await deps.params.get(name);
    if (!value)
      throw new ConfigError(
        `No GitHub App is registered and parameter ${name} (the service desk's GHES token) is not set: register the app (docs/github-app.md) or store a token there.`,
      );
    return value;
  };
}

/** Tickets over the REST API of the configured GHES (`ghesUrl` + `/api/v3`). */
export function restTickets(deps: { config: Config; params: ParameterStore }): RestTicketRepository {
  return new RestTicketRepository(() => apiBase(requireGithubApp(deps.config)), ticketToken(deps));
}
