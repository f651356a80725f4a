import path from 'node:path';
import { WORKFLOWS } from '../shared/workflows.js';
import type { LocalConfig } from './config.js';
import { startSchedules } from './events.js';
import { createLocalWorld } from './world.js';
import type { EngineEvent, ExecutionDescription } from './engine/local-engine.js';
import { deskManagementRoutes, startLocalDesk } from './service-desk.js';
import { ensureAdminToken, startSandboxMailProvider } from './custom-email-world.js';
import type { SandboxMailProvider } from './sandbox/mail-provider/index.js';
import { loopbackPort, startGithubAppSandbox, type GithubAppSandbox } from './github-app-world.js';
import { localHttpApi } from './stack-api.js';
import { startConsole } from './console/index.js';
import { TOKEN_FILE } from './console/auth.js';

/** How long a stop waits for accepted mail to be handled before closing (then it stays spooled). */
const STOP_GRACE_MS = 20_000;

const END_EVENTS: Record<string, string> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

/**
 * The terminal line of an execution's start or end, or undefined for other events:
 *   2026-11-30T12:03:04.120Z execution failover/drill-1 started
 *   2026-11-30T12:03:19.402Z execution failover/drill-1 SUCCEEDED in 15.2s (workflow time 2m32s)
 *   2026-11-30T12:03:19.402Z execution support-bundle/4f2a... FAILED in 3.1s: SupportBundleFailed
 * (wall-clock times, like the mail lines).
 */
export function executionLine(
  e: Pick<EngineEvent, 'type' | 'stateMachine' | 'executionArn' | 'timestamp' | 'error'>,
  describe: () => Pick<ExecutionDescription, 'startDate' | 'stopDate' | 'workflowTime'>,
): string | undefined {
  const at = e.timestamp;
  const id = `${e.stateMachine}/${e.executionArn.split(':').at(-1)}`;
  if (e.type === 'ExecutionStarted') return `${at} execution ${id} started`;
  const status = END_EVENTS[e.type];
  if (!status) return undefined;
  const d = describe();
  const secs = (from: string, to?: string): number =>
    ((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000;
  const wall = secs(d.startDate, d.stopDate);
  const workflow =
    d.workflowTime.timeScale !== 1
      ? ` (workflow time ${duration(secs(d.workflowTime.startDate, d.workflowTime.stopDate))})`
      : '';
  return `${at} execution ${id} ${status} in ${duration(wall)}${workflow}${e.error ? `: ${e.error}` : ''}`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The "Trigger a workflow" lines `npm start` prints: a curl and a `ghes-ops run` per workflow. The
 * management API needs the console token as a bearer token (the CLI reads it by itself), so the
 * curl lines read it from the file the stack wrote.
 */
export function triggerLines(url: string, tokenFile: string, sandbox: boolean): string[] {
  const lines = [
    '\nTrigger a workflow (curl needs the console token; ghes-ops reads it by itself):',
    `  TOKEN=$(cat ${tokenFile})`,
  ];
  for (const w of WORKFLOWS) {
    lines.push(
      `  curl -s -X POST ${url}/executions/${w.key} -H "Authorization: Bearer $TOKEN" -d '${JSON.stringify(w.example)}'`,
      `  npx ghes-ops run ${w.key} --input '${JSON.stringify(w.example)}'`,
    );
  }
  lines.push(
    `  curl -s ${url}/executions            (list; then GET /executions/<workflow>/<name> for one, with its history)`,
  );
  if (sandbox)
    lines.push(
      `  npx ghes-ops sandbox reset        (after a failover: rebuild the replica to fail over again)`,
    );
  return lines;
}

/** `npm start`: the local stack on the embedded default (the sandbox). Stops cleanly on Ctrl-C. */
export async function startStack(root: string, config: LocalConfig): Promise<void> {
  const log = (line: string): void => console.log(line);
  const world = createLocalWorld({ root, config, record: 'stack' });
  // One line per execution started and ended, whatever started it (HTTP, CLI, schedule, mail).
  world.engine.subscribe((e, arn) => {
    const line = executionLine(e, () => world.engine.describeExecution(arn));
    if (line) log(line);
  });
  const server = localHttpApi(world);
  // The sandbox GHES (web + REST) when githubApp.ghesUrl is on loopback: the GitHub App registers
  // on it, and the service desk keeps its tickets repository on it too (one sandbox GHES).
  const ghesPort = config.githubApp ? loopbackPort(config.githubApp.ghesUrl) : undefined;
  let appGhes: GithubAppSandbox | undefined;
  if (world.sandbox && ghesPort !== undefined)
    appGhes = await startGithubAppSandbox(world.sandbox, { port: ghesPort, stateDir: config.local.stateDir });
  // The service desk, with the custom-email verification: +verify mail resumes the waiting
  // execution; the sandbox mail provider of the custom domain forwards to this desk.
  const deskConfig = config.local.serviceDesk.desk;
  let provider: SandboxMailProvider | undefined;
  const desk = world.sandbox
    ? await startLocalDesk(config, world, log, {
        verdicts: (envelope) => provider?.verdictsFor(envelope),
        ...(appGhes ? { ghes: appGhes.ghes } : {}),
      })
    : undefined;
  if (desk) {
    deskManagementRoutes(server, desk);
    provider = await startSandboxMailProvider(
      world,
      deskConfig,
      { host: config.local.serviceDesk.smtp.host, port: desk.smtpPort },
      (line) => log(`    ${line}`),
    );
    const tokenName = await ensureAdminToken(world);
    log(
      `    custom email: POST /service-desk/custom-email/<project>/verify with Authorization: Bearer <parameter ${tokenName}>, or npx ghes-ops desk verify <project>`,
    );
  }
  const { url } = await server.listen(config.local.http.port, config.local.http.host);
  // The console (executions, approvals, outbox, desk, sandbox), behind a token printed once below.
  const consoleUi = startConsole(server, world, { ...(desk ? { desk } : {}), httpUrl: url });
  // Approval links in failover emails point at this server.
  process.env.GHES_OPS_APPROVAL_URL ??= url;
  const target =
    config.appliance.runner === 'sandbox'
      ? `sandbox appliance (${config.appliance.primary}, ${config.appliance.replica ?? 'no replica'}), scenario ${config.local.scenario}`
      : `${config.appliance.runner} ${config.appliance.primary}`;
  log(`ghes-ops local stack`);
  log(
    `  engine:    ${WORKFLOWS.length} workflow(s) from statemachines/, time ${config.local.timeScale === 1 ? 'real' : `${Math.round(1 / config.local.timeScale)}x faster`}`,
  );
  log(`  appliance: ${target}`);
  log(
    `  mail:      ${world.outbox ? `outbox ${config.local.stateDir}/outbox` : `SMTP ${config.local.mail.smtp?.host}:${config.local.mail.smtp?.port}`}`,
  );
  log(`  http:      ${url}`);
  log(`  console:   ${consoleUi.loginUrl(url)}`);
  if (config.githubApp)
    log(
      `  github app: setup ${config.githubApp.publicUrl}/github-app/setup on ${appGhes ? `sandbox GHES ${appGhes.url}` : config.githubApp.ghesUrl}`,
    );
  const stopSchedules = startSchedules(world.triggers.schedules, {
    engine: world.engine,
    invoker: world.invoker,
    clock: world.clock,
    log,
  });
  for (const line of triggerLines(url, path.join(config.local.stateDir, TOKEN_FILE), Boolean(world.sandbox)))
    log(line);
  log('\nCtrl-C stops.');
  await new Promise<void>((resolve) => {
    let stopping = false;
    const spoolLines = async (): Promise<string[]> => {
      const left = desk ? await desk.spools() : { incoming: [], failed: [] };
      return [
        `  ${left.incoming.length} accepted message(s) not yet handled in ${path.join(config.local.stateDir, 'inbox', 'incoming')} (re-ingested at the next start)`,
        `  ${left.failed.length} message(s) in the failed spool ${path.join(config.local.stateDir, 'failed')} (retried at the next start; ghes-ops desk replay)`,
      ];
    };
    const stop = (signal: string): void => {
      if (stopping) {
        // A second signal: stop at once, and say what was left where.
        void spoolLines().then((lines) => {
          log(`\n${signal} again: stopping now. Left:`);
          lines.forEach((l) => log(l));
          process.exit(130);
        });
        return;
      }
      stopping = true;
      log(
        `\n${signal}: stopping (again to stop at once): new mail refused with 421, accepted mail finishing...`,
      );
      stopSchedules();
      for (const e of world.engine.listExecutions())
        if (e.status === 'RUNNING')
          void world.engine.stopExecution(e.executionArn, 'LocalStackStopped', 'npm start was stopped');
      // In order: the desk refuses new mail and finishes what it accepted (its functions need the
      // HTTP API, GHES and the stores), then the HTTP API, the mail provider, the sandbox GHES last.
      void (async () => {
        const left = desk ? await desk.stop(STOP_GRACE_MS) : undefined;
        await world.invoker.settled();
        consoleUi.close();
        await server.close();
        await provider?.close();
        await appGhes?.close();
        await world.close();
        if (left && (left.incoming.length || left.failed)) (await spoolLines()).forEach((l) => log(l));
      })().then(resolve, (e: Error) => {
        log(`stopping failed: ${e.message}`);
        resolve();
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  log('stopped.');
}
