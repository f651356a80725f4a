/** The actions-sync fault scenarios (the sandbox's SCENARIOS includes them; `install.ts` applies them). */
export const ACTIONS_SYNC_SCENARIOS = {
  'actions-sync-no-workflow-scope':
    'The actions-sync token (octocat) has the repo scope but not workflow: the preflight stops with TokenScopeMissing.',
  'actions-sync-not-owner':
    'octocat is not an owner of the actions organization: the preflight stops with NotOrganizationOwner (fix: ghe-org-admin-promote -u octocat -o actions).',
  'actions-sync-386-binary':
    'The linux_386 actions-sync build is installed on the x86_64 primary (it fails with a misleading 404 Not Found): the preflight names the linux_amd64 asset.',
  'actions-sync-one-fails':
    'One action of the list (actions/does-not-exist) cannot be pulled from github.com: it fails, the others sync, the execution fails at the end.',
  'actions-sync-transient': 'actions/checkout fails once with "unexpected EOF", then syncs on the retry.',
  'actions-sync-version-changed':
    'The appliances were upgraded from 3.17.2 to 3.18.0 since the last seen version: the upgrade watch starts a sync.',
} as const satisfies Record<string, string>;

export type ActionsSyncScenario = keyof typeof ACTIONS_SYNC_SCENARIOS;
