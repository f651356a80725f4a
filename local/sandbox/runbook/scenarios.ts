/** The runbook workflows' scenarios (the sandbox's SCENARIOS includes them; install.ts applies them). */
export const RUNBOOK_SCENARIOS = {
  'tls-expires-soon':
    "The served certificate expires in 15 days and ACME (Let's Encrypt) is enabled: tls-certificate renews it with ghe-ssl-acme -e and confirms the new one is served.",
  'tls-renewal-fails':
    "The certificate expires in 15 days and every ghe-ssl-acme -e fails (Let's Encrypt cannot reach port 80): the mail carries the appliance output and the certificate text Support asks for.",
  'tls-acme-stale':
    'The certificate expires in 15 days and ghe-ssl-acme -e fails on stale ACME settings until ghe-ssl-acme -x clears them: the approved recovery (-x then -e -v) renews it.',
  'tls-expired':
    'The served certificate expired 3 days ago and ACME is not enabled: the mail gives the manual steps.',
  'tls-wrong-hostname':
    'The appliance serves a certificate for another name (ghes-old.example.com): nothing is renewed, the mail says so.',
  'backup-stale': "backup-utils' newest complete snapshot is 30 hours old (the cron job stopped).",
  'backup-incomplete':
    'The newest backup-utils run failed: its snapshot has an incomplete marker ("Snapshot incomplete. Some steps failed").',
  'backup-stale-lock':
    'A backup-utils in-progress lock from a run that died 9 hours ago blocks every later backup.',
  'backup-disk-full': "The backup host's data volume is 94% full.",
  'jira-ranges-changed':
    'Atlassian published 2 new Jira egress ranges and dropped 1: jira-prefix-list grows MaxEntries, then applies +2 -1 with CurrentVersion.',
  'jira-version-conflict':
    'The Jira ranges changed, and another change lands on the prefix list just before ours: ModifyManagedPrefixList fails on CurrentVersion, nothing of ours is applied.',
  'jira-fetch-fails': 'ip-ranges.atlassian.com answers 503: nothing is changed, the mail says so.',
} as const satisfies Record<string, string>;

export type RunbookScenario = keyof typeof RUNBOOK_SCENARIOS;
