import { afterEach, describe, expect, it } from '@jest/globals';
import { SandboxIssues } from '../../local/sandbox/ghes/issues-api.js';
import { upsertOpsIssue } from '../../shared/github-app/ops-issue.js';
import { ConfigError } from '../../shared/errors.js';
import { registeredAppStack, type AppStack } from '../helpers/github-app.js';

let stack: AppStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('ops-repository issue written by the GitHub App', () => {
  it('creates the issue on the first run and updates the same one on the next', async () => {
    const s = (stack = await registeredAppStack());
    const issues = new SandboxIssues(s.gh.ghes);
    const repo = issues.createRepo('github', 'ops', { private: true });
    await s.gh.apps.install([...s.gh.apps.apps.values()][0]!.id);
    const deps = s.world.deps;
    const first = await upsertOpsIssue(
      deps,
      'github/ops',
      'actions-sync: last run (ghes-ops)',
      'run 1: 3 synced',
    );
    expect(first).toMatchObject({ number: 1, created: true });
    const second = await upsertOpsIssue(
      deps,
      'github/ops',
      'actions-sync: last run (ghes-ops)',
      'run 2: 1 failed',
    );
    expect(second).toMatchObject({ number: 1, created: false });
    expect(repo.issues).toHaveLength(1);
    expect(repo.issues[0]).toMatchObject({
      title: 'actions-sync: last run (ghes-ops)',
      body: 'run 2: 1 failed',
    });
  });

  it('says how to fix a repository the app cannot write to', async () => {
    const s = (stack = await registeredAppStack());
    new SandboxIssues(s.gh.ghes);
    await s.gh.apps.install([...s.gh.apps.apps.values()][0]!.id);
    const attempt = upsertOpsIssue(s.world.deps, 'github/missing', 'title', 'body');
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(upsertOpsIssue(s.world.deps, 'github/missing', 'title', 'body')).rejects.toThrow(
      /installed on github with issues write permission/,
    );
  });
});
