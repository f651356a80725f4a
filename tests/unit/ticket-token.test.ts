import { afterEach, describe, expect, it } from '@jest/globals';
import type { HttpRequest } from '../../local/http-server.js';
import type { Config } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import type { ParameterStore } from '../../shared/params/parameter-store.js';
import {
  TICKET_TOKEN_CACHE_MS,
  ticketToken,
  ticketTokenParameter,
} from '../../shared/service-desk/ticket-token.js';
import { RestTicketRepository, TicketApiError } from '../../shared/service-desk/tickets.js';
import { registeredAppStack, type AppStack } from '../helpers/github-app.js';

function memoryParams(
  values: Record<string, string> = {},
  reads: string[] = [],
): ParameterStore & { set(n: string, v: string): void } {
  const m = new Map(Object.entries(values));
  return {
    set: (n, v) => void m.set(n, v),
    get: async (n) => {
      reads.push(n);
      return m.get(n);
    },
    put: async (n, v) => void m.set(n, v),
    delete: async (n) => void m.delete(n),
  };
}

const config = {
  parameterPrefix: '/ghes-ops/test',
  githubApp: {
    ghesUrl: 'https://ghes.example.com',
    publicUrl: 'https://ops.example.com',
    name: 'ghes-ops',
    features: [],
  },
} as unknown as Config;

let stack: AppStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('the service desk ticket token (AWS ghesTickets and the local world alike)', () => {
  it('without a registered app: the token parameter, or a ConfigError naming it and both ways to fix it', async () => {
    const name = ticketTokenParameter(config.parameterPrefix);
    expect(name).toBe('/ghes-ops/test/service-desk/github-token');
    await expect(ticketToken({ config, params: memoryParams({ [name]: 'ghp_stored' }) })()).resolves.toBe(
      'ghp_stored',
    );
    const missing = ticketToken({ config, params: memoryParams() })();
    await expect(missing).rejects.toThrow(ConfigError);
    await expect(ticketToken({ config, params: memoryParams() })()).rejects.toThrow(
      /No GitHub App is registered and parameter \/ghes-ops\/test\/service-desk\/github-token .* register the app \(docs\/github-app\.md\) or store a token there/,
    );
  });

  it('with a registered and installed app: an installation token, not the parameter', async () => {
    const s = (stack = await registeredAppStack());
    await s.gh.apps.install([...s.gh.apps.apps.values()][0]!.id);
    const params = s.world.deps.params;
    await params.put(ticketTokenParameter(s.world.config.parameterPrefix), 'ghp_stored', {
      secure: true,
      overwrite: true,
    });
    const token = await ticketToken({ config: s.world.config, params })();
    expect(token).not.toBe('ghp_stored');
    // The sandbox GHES knows it as the app's installation token.
    const auth = s.gh.ghes.authenticate({
      headers: { authorization: `token ${token}` },
    } as unknown as HttpRequest);
    expect(auth).toMatchObject({ kind: 'installation' });
  });

  it('reads the parameters once per minute, not per GHES call; concurrent calls share the read', async () => {
    const name = ticketTokenParameter(config.parameterPrefix);
    const reads: string[] = [];
    const params = memoryParams({ [name]: 'ghp_one' }, reads);
    let t = 1_000_000;
    const token = ticketToken({ config, params }, () => t);
    expect(await Promise.all([token(), token(), token()])).toEqual(['ghp_one', 'ghp_one', 'ghp_one']);
    const once = reads.length;
    // The app check (its app id) and the token parameter: read once for the three calls.
    expect(reads).toEqual(['/ghes-ops/test/github-app/credentials/app-id', name]);
    params.set(name, 'ghp_two');
    t += TICKET_TOKEN_CACHE_MS - 1;
    await expect(token()).resolves.toBe('ghp_one');
    expect(reads).toHaveLength(once);
    // A minute after the last read, a new token parameter takes effect without a restart.
    t += 1;
    await expect(token()).resolves.toBe('ghp_two');
    expect(reads).toHaveLength(2 * once);
  });

  it('a failed read is not kept: the next call reads again', async () => {
    const name = ticketTokenParameter(config.parameterPrefix);
    const params = memoryParams();
    const token = ticketToken({ config, params });
    await expect(token()).rejects.toThrow(ConfigError);
    params.set(name, 'ghp_later');
    await expect(token()).resolves.toBe('ghp_later');
  });

  it('another GHES URL reads the token again', async () => {
    const name = ticketTokenParameter(config.parameterPrefix);
    const own = structuredClone<Config>(config);
    const params = memoryParams({ [name]: 'ghp_a' });
    const token = ticketToken({ config: own, params });
    await expect(token()).resolves.toBe('ghp_a');
    params.set(name, 'ghp_b');
    own.githubApp!.ghesUrl = 'https://ghes2.example.com';
    await expect(token()).resolves.toBe('ghp_b');
  });

  it('GHES answering 401 drops the kept token: the call fails, the next one reads the new token', async () => {
    const name = ticketTokenParameter(config.parameterPrefix);
    const params = memoryParams({ [name]: 'ghp_revoked' });
    const seen: string[] = [];
    const fetchFn = (async (_url: string | URL | Request, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization') ?? '';
      seen.push(auth);
      return auth === 'token ghp_new'
        ? new Response(JSON.stringify({ private: true }), {
            status: 200,
            headers: { 'content-type': 'application/json' },
          })
        : new Response(JSON.stringify({ message: 'Bad credentials' }), {
            status: 401,
            headers: { 'content-type': 'application/json' },
          });
    }) as typeof fetch;
    const repo = new RestTicketRepository(
      'https://ghes.example.com/api/v3',
      ticketToken({ config, params }),
      fetchFn,
      { retries: 0 },
    );
    await expect(repo.visibility('acme/tickets')).rejects.toThrow(TicketApiError);
    params.set(name, 'ghp_new');
    await expect(repo.visibility('acme/tickets')).resolves.toBe('private');
    expect(seen).toEqual(['token ghp_revoked', 'token ghp_new']);
  });
});
