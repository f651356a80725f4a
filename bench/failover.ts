/**
 * Failover workflow: local wall time, state transitions and Lambda invocations per execution, and
 * the AWS cost they imply.
 *
 * Runs the healthy planned scenario through the real ASL on the local engine and the sandbox:
 * 1. with every appliance delay zero (the workflow's own overhead: Wait states, the documented
 *    30 s drain settle, DNS INSYNC and the 60 s TTL), at time scale 0.001;
 * 2. with realistic appliance delays (promotion 30 min, GitHub's documented 20-30 min average;
 *    drain 60 s), at time scale 0.0001, to see how the polling scales.
 *
 * Cost assumptions (us-east-1 list prices): Standard workflows $0.025 per 1,000 state
 * transitions; Lambda $0.20 per 1M requests and $0.0000133334 per GB-second on arm64, at the
 * configured 256 MB, with an assumed 300 ms average billed duration per invocation (most steps
 * make one or two AWS API calls; SSM round trips dominate). Route 53, SSM, SES and CloudWatch
 * Logs calls are not counted (fractions of a cent).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../local/config.js';
import { createLocalWorld } from '../local/world.js';
import { SANDBOX_PUBLIC_NAME, SANDBOX_ZONE_ID } from '../local/sandbox/cloud/sandbox-cloud.js';
import type { Durations } from '../local/sandbox/durations.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PRICE = { transition: 0.025 / 1000, request: 0.2 / 1_000_000, gbSecond: 0.0000133334 };
const MEMORY_GB = 256 / 1024;
const BILLED_SECONDS = 0.3;

interface Run {
  label: string;
  wallMs: number;
  workflowSeconds: number;
  transitions: number;
  invocations: number;
  polls: Record<string, number>;
  status: string;
}

async function run(
  label: string,
  timeScale: number,
  sandbox: { zeroDelays?: boolean; durations?: Partial<Durations> },
): Promise<Run> {
  const config = defaultConfig(ROOT);
  config.local.stateDir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-bench-'));
  config.local.timeScale = timeScale;
  const world = createLocalWorld({ root: ROOT, config, inMemory: true, sandbox });
  const input = {
    mode: 'planned',
    traffic: { route53: { hostedZoneId: SANDBOX_ZONE_ID, recordName: SANDBOX_PUBLIC_NAME, ttl: 60 } },
    reason: 'benchmark',
  };
  // Warm the handlers' imports so that the measured run is the workflow, not module loading.
  await world.engine.loadDefinition('failover');
  const t0 = performance.now();
  const { executionArn } = await world.engine.startExecution('failover', input);
  const result = await world.engine.waitForExecution(executionArn);
  const wallMs = performance.now() - t0;
  const history = world.engine.getExecutionHistory(executionArn);
  const entered = history.filter((e) => e.type === 'StateEntered');
  const polls: Record<string, number> = {};
  for (const s of ['CheckDrain', 'CheckPromotion', 'CheckTraffic', 'Verify'])
    polls[s] = entered.filter((e) => e.stateName === s).length;
  const workflowSeconds =
    (Date.parse(result.workflowTime.stopDate!) - Date.parse(result.workflowTime.startDate)) / 1000;
  return {
    label,
    wallMs,
    workflowSeconds,
    // AWS bills each state entered (the start counts as one more); Succeed/Fail included.
    transitions: entered.length + 1,
    invocations: history.filter((e) => e.type === 'LambdaFunctionScheduled').length,
    polls,
    status: result.status,
  };
}

function cost(r: Run): { sfn: number; lambda: number; total: number } {
  const sfn = r.transitions * PRICE.transition;
  const lambda = r.invocations * (PRICE.request + MEMORY_GB * BILLED_SECONDS * PRICE.gbSecond);
  return { sfn, lambda, total: sfn + lambda };
}

const usd = (n: number): string => `$${n.toFixed(6)}`;

const runs = [
  await run('healthy, appliance delays zero (scale 0.001)', 0.001, { zeroDelays: true }),
  await run('healthy, promotion 30 min, drain 60 s (scale 0.0001)', 0.0001, {
    durations: { promote: 1800, drain: 60 },
  }),
];
for (const r of runs) {
  const c = cost(r);
  console.log(`\n${r.label}: ${r.status}`);
  console.log(`  local wall time:        ${r.wallMs.toFixed(0)} ms`);
  console.log(`  workflow (clock) time:  ${r.workflowSeconds.toFixed(0)} s`);
  console.log(`  state transitions:      ${r.transitions}`);
  console.log(`  Lambda invocations:     ${r.invocations}`);
  console.log(
    `  polls:                  ${Object.entries(r.polls)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `  AWS cost per execution: ${usd(c.total)} (Step Functions ${usd(c.sfn)}, Lambda ${usd(c.lambda)})`,
  );
}
console.log(
  `\nAssumptions: $0.025 per 1,000 transitions; Lambda $0.20 per 1M requests + ${MEMORY_GB * 1024} MB x ${BILLED_SECONDS * 1000} ms x $${PRICE.gbSecond}/GB-s (arm64).`,
);
if (runs.some((r) => r.status !== 'SUCCEEDED')) process.exit(1);
process.exit(0);
