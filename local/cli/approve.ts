import { parseArgs } from 'node:util';
import { userInfo } from 'node:os';

/**
 * `ghes-ops approve|reject <execution> [--reason TEXT] [--url http://127.0.0.1:8787]`: decides a
 * failover waiting for approval on the running local stack (`ghes-ops start`), over its loopback
 * HTTP API. In AWS use the link in the approval email, or the AWS CLI (docs/workflows/failover.md).
 */
export async function approveCommand(
  decision: 'approve' | 'reject',
  args: string[],
  defaultUrl: string,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { reason: { type: 'string', short: 'r' }, url: { type: 'string' }, by: { type: 'string' } },
  });
  const execution = positionals[0];
  if (!execution || !/^[A-Za-z0-9_-]{1,80}$/.test(execution)) {
    console.error(`usage: ghes-ops ${decision} <execution name> [--reason "..."] [--url ${defaultUrl}]`);
    return 2;
  }
  const url = `${(values.url ?? defaultUrl).replace(/\/$/, '')}/failover/approvals/${execution}/decision`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        decision,
        by: values.by ?? `${userInfo().username} (local CLI)`,
        ...(values.reason ? { reason: values.reason } : {}),
      }),
    });
  } catch {
    console.error(
      `ghes-ops: the local stack does not answer at ${url}. Start it with \`ghes-ops start\` (or, for \`ghes-ops run\`, pass --approve or --reject).`,
    );
    return 2;
  }
  const body = (await res.json().catch(() => ({}))) as { message?: string; executionArn?: string };
  if (!res.ok) {
    console.error(`ghes-ops: ${body.message ?? `HTTP ${res.status}`}`);
    return 1;
  }
  console.log(`${decision === 'approve' ? 'approved' : 'rejected'}: ${body.executionArn ?? execution}`);
  return 0;
}
