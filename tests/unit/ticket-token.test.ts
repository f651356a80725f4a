import { afterEach, describe, expect, it } from '@jest/globals';
import type { HttpRequest } from '../../local/http-server.js';
import type { Config } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import type { ParameterStore } from '../../shared/params/parameter-store.js';
import { ticketToken, ticketTokenParameter } from '../../shared/service-desk/ticket-token.js';
import { registeredAppStack, type AppStack } from '../helpers/github-app.js';

function memoryParams(values: Record<string, string> = {}): ParameterStore {
  const m = new Map(Object.entries(values));
  return {
    get: async (n) => m.get(n),
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
});
