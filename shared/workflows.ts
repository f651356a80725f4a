/**
 * The workflows, their inputs and outputs: one catalogue for the CLI (`ghes-ops workflows`), the
 * local stack's help and the docs. The state machine for key `k` is `statemachines/k.asl.json`.
 */
export interface InputField {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

export interface WorkflowInfo {
  key: string;
  title: string;
  description: string;
  inputs: InputField[];
  example: Record<string, unknown>;
  errors: Record<string, string>;
}

export const WORKFLOWS: WorkflowInfo[] = [
  {
    key: 'support-bundle',
    title: 'Support bundle upload',
    description:
      'Generates a support bundle on the primary (or the whole cluster), uploads it to a GitHub Support ticket, polls until it is complete, optionally uploads `ghe-repl-status -vv` from the replica, and emails the outcome.',
    inputs: [
      {
        name: 'ticket',
        type: 'string',
        required: true,
        description: 'GitHub Support ticket number: 7 digits',
      },
      {
        name: 'scope',
        type: '"primary" | "cluster"',
        required: false,
        description: 'ghe-support-bundle or ghe-cluster-support-bundle (default primary)',
      },
      {
        name: 'period',
        type: 'string',
        required: false,
        description: 'time covered, e.g. "2days", "12hours" (appliance default: 2 days)',
      },
      {
        name: 'extended',
        type: 'boolean',
        required: false,
        description: 'extended bundle, 8 days (-x); excludes period',
      },
      {
        name: 'attachReplicationStatus',
        type: 'boolean',
        required: false,
        description: 'also upload ghe-repl-status -vv from the replica (default false)',
      },
      {
        name: 'notify',
        type: 'string[]',
        required: false,
        description: 'who gets the outcome email (default: the configured notify list)',
      },
      {
        name: 'timeoutMinutes',
        type: 'integer',
        required: false,
        description: 'give up waiting after this long (default 120, at most 720)',
      },
    ],
    example: { ticket: '1234567', scope: 'primary', period: '2days', attachReplicationStatus: true },
    errors: {
      InputValidationError: 'the input is invalid; nothing ran',
      ConfigError: 'the deployment or local configuration is missing something',
      ApplianceUnreachable: 'the appliance could not be reached (SSM agent, SSH, host down)',
      SupportBundleFailed: 'ghe-support-bundle exited non-zero (generation or upload failed)',
      SupportBundleTimeout: 'the bundle was still running at the time limit',
      ApplianceCommandFailed: 'uploading the replication status failed',
      MailDeliveryFailed: 'the outcome email could not be sent',
    },
  },
  {
    key: 'failover',
    title: 'HA failover',
    description:
      'Promotes the replica to primary safely: one failover at a time (lock), anti-flapping window, replication preflight, two observers in unplanned mode, optional approval, hooks, fencing and drain, ghe-repl-promote polled to the end, DNS or load balancer switch only after promotion, verification, optional teardown, and a notification with the timeline.',
    inputs: [
      {
        name: 'mode',
        type: '"planned" | "unplanned"',
        required: true,
        description:
          'planned: the primary answers (fence + drain first); unplanned: the primary is down (two observers must agree)',
      },
      {
        name: 'primary',
        type: 'string | {target, host?, instanceId?, address?}',
        required: false,
        description: 'the current primary (default: the configured primary)',
      },
      {
        name: 'replica',
        type: 'string | {target, host?, instanceId?, address?}',
        required: false,
        description:
          'the replica to promote (default: the configured replica); address is what DNS will point to',
      },
      {
        name: 'traffic',
        type: '{route53: {hostedZoneId, recordName, ttl?}} | {loadBalancer: {targetGroupArn, publicName, port?}} | {manual: {hostname}}',
        required: true,
        description:
          'how users reach GHES; manual (DNS or load balancer outside AWS): after the promotion you are asked to point hostname at replica.address, confirm with `ghes-ops confirm-traffic` or the link, then https://hostname/status is polled until the new primary answers',
      },
      {
        name: 'reason',
        type: 'string',
        required: true,
        description: 'why (one line; goes into notifications and the audit trail)',
      },
      {
        name: 'maxReplicationLagSeconds',
        type: 'integer',
        required: false,
        description: 'preflight lag limit (default 30)',
      },
      {
        name: 'requireApproval',
        type: 'boolean',
        required: false,
        description:
          'wait for ghes-ops approve|reject or the link (default false; always on for alarm triggers)',
      },
      {
        name: 'force',
        type: '{reason}',
        required: false,
        description: 'go on although replication is unhealthy (bypasses only that gate)',
      },
      {
        name: 'acknowledgeRecentFailover',
        type: 'boolean',
        required: false,
        description: 'allow a failover inside the anti-flapping window',
      },
      {
        name: 'antiFlappingMinutes',
        type: 'integer',
        required: false,
        description: 'anti-flapping window (default 60)',
      },
      {
        name: 'notify',
        type: 'string[]',
        required: false,
        description: 'who gets the approval request and the outcome (default: the configured notify list)',
      },
      {
        name: 'hooks',
        type: '{pre?: Hook[], post?: Hook[]}',
        required: false,
        description: 'allow-listed appliance commands {on: "old-primary"|"new-primary", argv}',
      },
      {
        name: 'stopOldPrimary',
        type: 'boolean',
        required: false,
        description: 'unplanned: also EC2 StopInstances the old primary',
      },
      {
        name: 'teardownOldPrimary',
        type: 'boolean',
        required: false,
        description: 'after success: remove the old primary from the HA configuration by UUID',
      },
      {
        name: 'stayInMaintenance',
        type: 'boolean',
        required: false,
        description:
          'planned, stopped before promotion: leave the primary in maintenance mode (default false: service is restored)',
      },
      {
        name: 'promotionTimeoutMinutes',
        type: 'integer',
        required: false,
        description: 'give up waiting for ghe-repl-promote (default 45)',
      },
      {
        name: 'verifyTimeoutMinutes',
        type: 'integer',
        required: false,
        description: 'verification time limit (default 10)',
      },
    ],
    example: {
      mode: 'planned',
      traffic: {
        route53: { hostedZoneId: 'Z0SANDBOX00000000000', recordName: 'ghes.sandbox.test', ttl: 60 },
      },
      reason: 'planned maintenance of the primary host',
    },
    errors: {
      InputValidationError: 'the input is invalid; nothing ran',
      FailoverInProgress: 'another failover holds the lock; nothing changed',
      RecentFailover: 'inside the anti-flapping window; nothing changed',
      ReplicationNotHealthy:
        'a channel is CRITICAL, lags past the limit, or replication is not running; nothing changed',
      PrimaryNotConfirmedDown: 'unplanned mode, but an observer still sees the primary; nothing changed',
      FailoverRejected: 'an operator rejected the failover; nothing changed',
      ApprovalTimedOut: 'nobody decided within 30 minutes; nothing changed',
      TrafficCheckFailed:
        'the traffic target could not be proven before anything changed (record, target group, or manual hostname); nothing changed',
      HookFailed: 'a pre-failover hook failed; nothing changed',
      FenceFailed: 'the primary could not be fenced or did not drain (it may be left in maintenance mode)',
      PromotionFailed: 'ghe-repl-promote failed (the known jq bug is recognised); traffic not switched',
      PromotionTimeout: 'ghe-repl-promote was still running at the deadline; traffic not switched',
      PromotedButTrafficNotSwitched:
        'LOUD: the replica is the primary but DNS/load balancer still point at the old one (manual traffic: not confirmed within 60 minutes, reported not switched, or /status never answered 200)',
      VerificationFailed: 'traffic switched, but the new primary did not answer as a primary in time',
    },
  },
  {
    key: 'actions-sync',
    title: 'Actions sync from github.com',
    description:
      'Copies approved github.com actions into GHES with actions-sync: validates the list, preflights the token scopes, organization ownership, binary architecture and version, syncs each action in its own call (Map, concurrency 4 by default, transient failures retried with backoff), emails a report, and fails at the end if any action failed.',
    inputs: [
      {
        name: 'list',
        type: 'string | {parameter} | {repository, path, ref?}',
        required: false,
        description:
          'the list-file text, an SSM parameter, or a file in an ops repository (default: parameter PREFIX/actions-sync/list)',
      },
      {
        name: 'destinationUrl',
        type: 'string',
        required: false,
        description: 'GHES URL (default: the configured ghesUrl)',
      },
      {
        name: 'auth',
        type: '{mode: "pat", tokenParameter?} | {mode: "app", installationId?}',
        required: false,
        description:
          'PAT in an SSM SecureString (default PREFIX/actions-sync/token) or GitHub App installation token',
      },
      {
        name: 'target',
        type: 'string',
        required: false,
        description: 'where actions-sync runs: the primary (default) or a dedicated host',
      },
      {
        name: 'concurrency',
        type: 'integer',
        required: false,
        description: 'parallel actions-sync calls, 1-40 (default 4)',
      },
      { name: 'defaultBranchOnly', type: 'boolean', required: false, description: '--default-branch-only' },
      { name: 'batchSize', type: 'integer', required: false, description: '--batch-size (0 or at least 10)' },
      {
        name: 'actionsAdminUser',
        type: 'string',
        required: false,
        description: '--actions-admin-user (impersonation; needs site_admin)',
      },
      {
        name: 'notify',
        type: 'string[]',
        required: false,
        description: 'who gets the report (default: the configured notify list)',
      },
      { name: 'reason', type: 'string', required: false, description: 'why it runs (schedule, upgrade...)' },
    ],
    example: { concurrency: 4, reason: 'manual run' },
    errors: {
      InputValidationError: 'the input is invalid; nothing ran',
      ActionsListInvalid:
        'the list has bad lines (each with its number), duplicates, or no entries; nothing ran',
      ConfigError: 'the list or token parameter is missing, or GitHub App mode without the app',
      GhesApiError: 'GHES did not answer or refused the token',
      TokenScopeMissing: 'the PAT lacks repo/workflow (or site_admin for impersonation)',
      NotOrganizationOwner:
        'the token user is not an owner of a destination organization (ghe-org-admin-promote)',
      ActionsSyncWrongArchitecture:
        'the installed binary is built for another architecture (names the right asset)',
      ActionsSyncNotInstalled: 'actions-sync is missing or its version does not print',
      ActionsSyncFailed: 'at least one action failed; every result is in the report',
    },
  },
  {
    key: 'custom-email-verification',
    title: 'Service desk custom email address verification',
    description:
      "Verifies a service desk project's custom email address: marks it started (new token, address disabled, owners and triggerer emailed), sends a token through the customer's SMTP server to <address>+verify, waits up to 30 minutes for the provider to forward it to the service desk, checks the forwarding target, the From header, the token and (strict) the sender's SPF/DKIM/DMARC, and emails the result with what to fix. The SMTP password and the token never enter the execution.",
    inputs: [
      {
        name: 'project',
        type: 'string',
        required: true,
        description: 'the service desk project slug, e.g. "acme-support"',
      },
      {
        name: 'triggeredBy',
        type: 'string',
        required: true,
        description: 'email address of who starts it (gets the emails with the project owners)',
      },
      {
        name: 'strict',
        type: 'boolean',
        required: false,
        description: 'fail when the From is not authenticated by SPF/DKIM/DMARC (default: the settings)',
      },
    ],
    example: { project: 'acme-support', triggeredBy: 'ops@acme.localhost' },
    errors: {
      InputValidationError: 'the input is invalid (unknown project, bad address); nothing ran',
      CustomEmailNotConfigured: 'the project has no custom email settings; nothing was sent',
      VerificationAlreadyRunning: 'another verification of the project is running; nothing changed',
      SmtpHostIssue: 'smtp_host_issue: connection, TLS or server error at the customer SMTP server',
      InvalidCredentials: 'invalid_credentials: the SMTP server refused the username and password',
      ReadTimeout: 'read_timeout: the SMTP server accepted the connection but did not answer within 7 s',
      MailNotReceivedWithinTimeframe:
        'mail_not_received_within_timeframe: nothing was forwarded to the service desk within 30 minutes',
      IncorrectForwardingTarget:
        'incorrect_forwarding_target: forwarded to another address than the project service desk address',
      IncorrectFrom: 'incorrect_from: the forwarder rewrote the From header',
      IncorrectToken: 'incorrect_token: the token in the forwarded mail is missing or differs',
      UnauthenticatedFrom: 'unauthenticated_from (strict): the From is not authenticated by SPF/DKIM/DMARC',
    },
  },
  {
    key: 'jira-prefix-list',
    title: 'Jira Cloud prefix list',
    description:
      "Fetches Atlassian's published IP ranges, keeps the configured products and direction (IPv4 and IPv6 to separate lists), skips when the syncToken is unchanged, diffs against the managed prefix list and applies with ModifyManagedPrefixList (CurrentVersion, at most 100 changes per call, MaxEntries grown first). Dry run; a change removing more than a share of a list waits for an operator (link or ghes-ops approve|reject; 60 minutes, then nothing changes). Emails what was found and done.",
    inputs: [
      {
        name: 'products',
        type: 'string[]',
        required: false,
        description: 'Atlassian products to allow (default ["jira"])',
      },
      {
        name: 'directions',
        type: '("egress" | "ingress")[]',
        required: false,
        description: 'default ["egress"]: the addresses Jira Cloud connects from',
      },
      {
        name: 'dryRun',
        type: 'boolean',
        required: false,
        description: 'plan and mail only, change nothing (default false)',
      },
      {
        name: 'force',
        type: 'boolean',
        required: false,
        description: 'compare even when the syncToken is unchanged (default false)',
      },
      {
        name: 'maxRemovalPercent',
        type: 'integer',
        required: false,
        description: 'a change removing more than this % of a list needs approval (default 25)',
      },
      {
        name: 'approve',
        type: 'string',
        required: false,
        description:
          'pre-approval: the change id of a plan (from a dry run or an earlier mail) applies exactly that change without waiting',
      },
      {
        name: 'notify',
        type: 'string[]',
        required: false,
        description: 'who gets the email (default: the configured notify list)',
      },
      { name: 'reason', type: 'string', required: false, description: 'one line for the email' },
    ],
    example: { dryRun: true },
    errors: {
      InputValidationError: 'the input is invalid; nothing was read or changed',
      ConfigError: 'the prefix list is not configured (jiraPrefixListId)',
      IpRangesFetchFailed: 'the ranges could not be fetched (network, HTTP status); nothing changed',
      IpRangesInvalid:
        'the ranges document was refused (format, or it would empty the list); nothing changed',
      PrefixListUnusable: 'the list is missing, of the wrong address family, or a modification failed',
      PrefixListVersionMismatch: 'somebody else changed the list (CurrentVersion); run again',
      PrefixListChangeRejected: 'an operator rejected the large removal; nothing changed',
      'States.Timeout': 'nobody approved the large removal within 60 minutes; nothing changed',
      MailDeliveryFailed: 'the email could not be sent',
    },
  },
  {
    key: 'tls-certificate',
    title: 'TLS certificate upkeep',
    description:
      "Reads the certificate GHES serves (a TLS handshake: expiry, names, issuer, chain) and the appliance's ACME state (ghe-ssl-acme -s); warns, and when ACME is enabled and renewal is due renews with ghe-ssl-acme -e in the maintenance window and confirms the new certificate is served. When ghe-ssl-acme -e fails, the recovery GitHub Support gave (ghe-ssl-acme -x, then -e -v) waits for an operator's approval (link or ghes-ops approve|reject; 60 minutes, then nothing more runs). Emails what was found, the appliance output and the served chain.",
    inputs: [
      {
        name: 'warnDays',
        type: 'integer',
        required: false,
        description: 'warn from this many days before expiry (default 30)',
      },
      {
        name: 'renewDays',
        type: 'integer',
        required: false,
        description: 'renew with ACME from this many days (default 20)',
      },
      {
        name: 'criticalDays',
        type: 'integer',
        required: false,
        description: 'fail the execution from this many days when not renewed (default 7)',
      },
      {
        name: 'renew',
        type: 'boolean',
        required: false,
        description: 'renew when due and ACME is enabled (default true; false: report only)',
      },
      {
        name: 'maintenanceWindow',
        type: 'string',
        required: false,
        description: 'UTC hours renewals may run in, e.g. "02:00-05:00" (default: any time)',
      },
      {
        name: 'recovery',
        type: 'boolean',
        required: false,
        description:
          'pre-approval: run the recovery (ghe-ssl-acme -x then ghe-ssl-acme -e -v) at once instead of -e, without waiting',
      },
      {
        name: 'notify',
        type: 'string[]',
        required: false,
        description: 'who gets the email (default: the configured notify list)',
      },
    ],
    example: { maintenanceWindow: '02:00-05:00' },
    errors: {
      InputValidationError: 'the input is invalid; nothing was read',
      ConfigError: 'the hostname is not configured (tlsHostname)',
      TlsHandshakeFailed: 'no certificate could be read (GHES down, no network path)',
      ApplianceUnreachable: 'the appliance could not be reached for ghe-ssl-acme',
      CertificateExpired: 'the served certificate has expired and was not renewed',
      CertificateExpiresSoon: 'the certificate is within criticalDays of expiry and was not renewed',
      CertificateHostnameMismatch:
        'the served certificate is not valid for the hostname; nothing was renewed',
      AcmeRenewalFailed:
        'ghe-ssl-acme failed, after the approved recovery too (output and served chain in the mail for a Support ticket)',
      RecoveryRejected: 'ghe-ssl-acme -e failed and an operator rejected the recovery; nothing more ran',
      'States.Timeout':
        'ghe-ssl-acme -e failed and nobody approved the recovery within 60 minutes; nothing more ran',
      CertificateNotReplaced: 'the renewal exited 0 but the old certificate is still served',
      MailDeliveryFailed: 'the email could not be sent',
    },
  },
  {
    key: 'backup-health',
    title: 'Backup health',
    description:
      'Checks GHES backups read-only: for backup-utils, on its host, the newest complete snapshot (current), incomplete markers, a stale in-progress lock, disk use and ghe-host-check; for the built-in backup service, on the primary, the latest backup log, the in-progress marker and ghe-backup-healthcheck where the version has it. Emails what was found and what to do; a problem fails the execution.',
    inputs: [
      {
        name: 'maxAgeHours',
        type: 'integer',
        required: false,
        description: 'alert when the newest complete backup is older (default 26)',
      },
      {
        name: 'staleLockHours',
        type: 'integer',
        required: false,
        description: 'an in-progress lock older than this is stale (default 6)',
      },
      {
        name: 'diskPercent',
        type: 'integer',
        required: false,
        description: 'alert at this disk use of the backup volume (default 90)',
      },
      {
        name: 'snapshot',
        type: 'boolean',
        required: false,
        description:
          'EBS snapshot of the backup volume after a healthy check, when one is configured (default true)',
      },
      {
        name: 'notify',
        type: 'string[]',
        required: false,
        description: 'who gets the email (default: the configured notify list)',
      },
    ],
    example: { maxAgeHours: 26 },
    errors: {
      InputValidationError: 'the input is invalid; nothing ran',
      ConfigError: 'the backup mode or host is not configured (backupMode, backupHost)',
      ApplianceUnreachable: 'the backup host or the appliance could not be reached',
      BackupStale: 'no complete backup newer than maxAgeHours',
      BackupIncomplete: 'the newest snapshot is incomplete (Snapshot incomplete. Some steps failed)',
      BackupLockStale: 'an old in-progress lock blocks every later backup',
      BackupDiskFull: 'the backup volume is at or above diskPercent',
      BackupHostCheckFailed: 'ghe-host-check failed on the backup host',
      BackupFailed: 'the built-in service reports a failed backup or health check',
      'InvalidVolume.NotFound': 'the configured backup volume does not exist (backupVolumeId)',
      MailDeliveryFailed: 'the email could not be sent',
    },
  },
];

export function workflow(key: string): WorkflowInfo | undefined {
  return WORKFLOWS.find((w) => w.key === key);
}
