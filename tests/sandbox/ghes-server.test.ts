import { afterEach, describe, expect, it } from '@jest/globals';
import { Sandbox } from '../../local/sandbox/sandbox.js';
import { SandboxGhes } from '../../local/sandbox/ghes/ghes-server.js';
import { scaledClock } from '../../shared/clock.js';

let ghes: SandboxGhes | undefined;
afterEach(async () => {
  await ghes?.close();
  ghes = undefined;
});

async function start(): Promise<SandboxGhes> {
  ghes = new SandboxGhes(new Sandbox({ clock: scaledClock(0.001) }));
  await ghes.start();
  return ghes;
}

describe('sandbox GHES REST API', () => {
  it('reports the token scopes in X-OAuth-Scopes on the REST root, as GHES does', async () => {
    const g = await start();
    const token = g.issueToken('octocat', ['repo', 'workflow']);
    const res = await fetch(g.apiUrl, { headers: { authorization: `token ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-oauth-scopes')).toBe('repo, workflow');
    expect(((await res.json()) as { current_user_url: string }).current_user_url).toBe(`${g.apiUrl}/user`);
  });

  it('refuses unknown tokens with 401 Bad credentials', async () => {
    const g = await start();
    const res = await fetch(`${g.apiUrl}/user`, { headers: { authorization: 'token ghp_forged' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: 'Bad credentials' });
  });

  it('serves installed_version from the appliance and the authenticated user', async () => {
    const g = await start();
    const meta = (await (await fetch(`${g.apiUrl}/meta`)).json()) as { installed_version: string };
    expect(meta.installed_version).toBe('3.17.2');
    const token = g.issueToken('ghe-admin', ['site_admin']);
    const user = await (
      await fetch(`${g.apiUrl}/user`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    expect(user).toMatchObject({ login: 'ghe-admin', site_admin: true });
  });
});
