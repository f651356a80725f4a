/**
 * Instance-wide GitHub data (replicated between the nodes, so kept once): users and organizations.
 * Small on purpose: what the sandbox's commands and its GHES REST API need.
 */
export interface UserRecord {
  siteAdmin: boolean;
}

export interface InstanceData {
  users: Map<string, UserRecord>;
  /** Organization login -> owners. */
  orgs: Map<string, Set<string>>;
}

export function defaultInstanceData(): InstanceData {
  return {
    users: new Map([
      ['ghe-admin', { siteAdmin: true }],
      ['octocat', { siteAdmin: false }],
    ]),
    orgs: new Map([
      ['actions', new Set<string>()],
      ['github', new Set<string>(['ghe-admin'])],
    ]),
  };
}
