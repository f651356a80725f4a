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
];

export function workflow(key: string): WorkflowInfo | undefined {
  return WORKFLOWS.find((w) => w.key === key);
}
