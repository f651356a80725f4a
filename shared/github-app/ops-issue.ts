import { ConfigError } from '../errors.js';
import type { Config } from '../config.js';
import type { ParameterStore } from '../params/parameter-store.js';
import { apiBase, requireGithubApp } from './config.js';
import { createInstallationToken } from './app-client.js';

/**
 * One issue in an operations repository, updated on every run of a workflow (its body is the last
 * report), written as the GitHub App's installation. Found again by its exact title among the open
 * issues; created when there is none (or it was closed).
 */
export async function upsertOpsIssue(
  deps: { config: Config; params: ParameterStore },
  repository: string,
  title: string,
  body: string,
  fetchFn: typeof fetch = fetch,
): Promise<{ url: string; number: number; created: boolean }> {
  const cfg = requireGithubApp(deps.config);
  const { token } = await createInstallationToken(deps);
  const base = `${apiBase(cfg)}/repos/${repository}/issues`;
  const call = async (method: string, url: string, payload?: unknown): Promise<unknown> => {
    const res = await fetchFn(url, {
      method,
      headers: {
        authorization: `token ${token}`,
        accept: 'application/vnd.github+json',
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload ? { body: JSON.stringify(payload) } : {}),
    });
    if (!res.ok) {
      throw new ConfigError(
        `GHES answered ${res.status} to ${method} ${url.replace(apiBase(cfg), '')}: check that the GitHub App is installed on ${repository.split('/')[0]} with issues write permission.`,
      );
    }
    return res.json();
  };
  const open = (await call('GET', `${base}?state=open&per_page=100`)) as { number: number; title: string }[];
  const existing = open.find((i) => i.title === title);
  const issue = (
    existing
      ? await call('PATCH', `${base}/${existing.number}`, { body })
      : await call('POST', base, { title, body })
  ) as { number: number; html_url: string };
  return { url: issue.html_url, number: issue.number, created: !existing };
}
