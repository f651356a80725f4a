import type { LocalConfig } from '../config.js';

/**
 * The CLI's client of a running local stack (`ghes-ops start`): commands that act on the stack's
 * state (its desk, its mail provider, its executions) go through its management API instead of
 * starting a second copy beside it.
 */
export const stackUrl = (config: Pick<LocalConfig, 'local'>): string =>
  `http://${config.local.http.host}:${config.local.http.port}`;

/** The stack's URL when one answers there (within a second), else undefined. */
export async function runningStack(config: Pick<LocalConfig, 'local'>): Promise<string | undefined> {
  const url = stackUrl(config);
  try {
    const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { service?: string };
    return body.service === 'ghes-ops local stack' ? url : undefined;
  } catch {
    return undefined;
  }
}

export interface StackExecution {
  executionArn: string;
  name: string;
  status: string;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** Starts `workflow` on the stack and waits for its end (polling its description). */
export async function runOnStack(
  url: string,
  workflow: string,
  input: unknown,
  progress: (line: string) => void = () => undefined,
): Promise<StackExecution> {
  const res = await fetch(`${url}/executions/${workflow}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const started = (await res.json()) as { executionArn?: string; error?: string; message?: string };
  if (!res.ok || !started.executionArn)
    throw new Error(
      `the stack at ${url} did not start ${workflow}: ${started.message ?? started.error ?? res.status}`,
    );
  const name = started.executionArn.split(':').pop()!;
  progress(`started ${started.executionArn} on the running stack ${url}`);
  for (;;) {
    const d = (await (await fetch(`${url}/executions/${workflow}/${name}`)).json()) as StackExecution;
    if (d.status !== 'RUNNING') return { ...d, name };
    await new Promise((r) => setTimeout(r, 500));
  }
}
