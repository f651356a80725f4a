import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { githubAppRegistered, installationTokenProvider } from '../github-app/app-client.js';
import { apiBase, requireGithubApp } from '../github-app/config.js';
import type { ParameterStore } from '../params/parameter-store.js';
import { RestTicketRepository, type TokenProvider } from './tickets.js';
import { PromiseCache } from '../runtime/promise-cache.js';

/** The SecureString holding the service desk's GHES token when no GitHub App is registered. */
export const ticketTokenParameter = (parameterPrefix: string): string =>
  `${parameterPrefix.replace(/\/$/, '')}/service-desk/github-token`;

/**
 * How long the token (and whether it is the app's or the parameter's) is reused: reading it costs
 * a parameter read per GHES call otherwise (in AWS an SSM GetParameter, six with an app: its
 * whole credentials), on every call of every message.
 */
export const TICKET_TOKEN_CACHE_MS = 60_000;

/**
 * The token the desk writes tickets with: the GitHub App's installation (the support bot) when an
 * app is registered, otherwise the token in `<prefix>/service-desk/github-token`. Decided again
 * at most `TICKET_TOKEN_CACHE_MS` after the last decision (and when the GHES URL changed), so
 * registering the app or storing a new token takes effect within a minute without a restart; at
 * once after GHES refused the token (401: `forget`, which the ticket client calls; an app's
 * installation token is minted again). Callers at the same moment share one read; a failed read
 * is never kept.
 */
export function ticketToken(
  deps: { config: Config; params: ParameterStore },
  now: () => number = Date.now,
): TokenProvider {
  let app: TokenProvider | undefined;
  const read = async (): Promise<string> => {
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
  // Keyed by the GHES URL: a token is for one GHES, another configured URL reads it again.
  const cache = new PromiseCache<string>(TICKET_TOKEN_CACHE_MS, now);
  const provider = (): Promise<string> => cache.get(deps.config.githubApp?.ghesUrl ?? '', read);
  return Object.assign(provider, {
    forget: () => {
      cache.forget();
      app = undefined;
    },
  });
}

/** Tickets over the REST API of the configured GHES (`ghesUrl` + `/api/v3`). */
export function restTickets(deps: { config: Config; params: ParameterStore }): RestTicketRepository {
  return new RestTicketRepository(() => apiBase(requireGithubApp(deps.config)), ticketToken(deps));
}
