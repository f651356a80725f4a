import { parseArgs } from 'node:util';
import { userInfo } from 'node:os';
import { stackHeaders } from './stack-client.js';

/**
 * `ghes-ops approve|reject <execution> [--reason TEXT] [--url http://127.0.0.1:8787]`: decides an
 * execution waiting for an operator's approval (failover, jira-prefix-list, tls-certificate) on the
 * running local stack (`ghes-ops start`), over its loopback HTTP API.
 * `ghes-ops confirm-traffic <execution> [--failed] [--reason TEXT]`: a failover with manual traffic
 * waits, after the promotion, for the operator to say traffic was switched (or cannot be: --failed).
 * Each command refuses the other kind of wait, so an approval never confirms traffic, nor the reverse.
 * In AWS use the link in the email, or the AWS CLI (docs/workflows/failover.md).
 */
export async function approveCommand(
  command: 'approve' | 'reject' | 'confirm-traffic',
  args: string[],
  defaultUrl: string,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      reason: { type: 'string', short: 'r' },
      url: { type: 'string' },
      by: { type: 'string' },
      ...(command === 'confirm-traffic' ? { failed: { type: 'boolean' as const } } : {}),
    },
  });
  const execution = positionals[0];
  if (!execution || !/^[A-Za-z0-9_-]{1,80}$/.test(execution)) {
    console.error(
      `usage: ghes-ops ${command} <execution name>${command === 'confirm-traffic' ? ' [--failed]' : ''} [--reason "..."] [--url ${defaultUrl}]`,
    );
    return 2;
  }
  const confirm = command === 'confirm-traffic';
  const decision = confirm ? ((values as { failed?: boolean }).failed ? 'reject' : 'approve') : command;
  const url = `${(values.url ?? defaultUrl).replace(/\/$/, '')}/approvals/${execution}/decision`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: stackHeaders(),
      body: JSON.stringify({
        decision,
        expect: confirm ? 'confirmation' : 'approval',
        by: values.by ?? `${userInfo().username} (local CLI)`,
        ...(values.reason ? { reason: values.reason } : {}),
      }),
    });
  } catch {
    console.error(
      `ghes-ops: the local stack does not answer at ${url}. Start it with \`ghes-ops start\` (or, for \`ghes-ops run\`, answer in that terminal or pass --approve or --reject).`,
    );
    return 2;
  }
  const body = (await res.json().catch(() => ({}))) as { message?: string; executionArn?: string };
  if (!res.ok) {
    console.error(`ghes-ops: ${body.message ?? `HTTP ${res.status}`}`);
    return 1;
  }
  const said = confirm
    ? decision === 'approve'
      ? 'traffic switch confirmed'
      : 'reported: traffic NOT switched'
    : decision === 'approve'
      ? 'approved'
      : 'rejected';
  console.log(`${said}: ${body.executionArn ?? execution}`);
  return 0;
}
