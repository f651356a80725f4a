import { causeMessage } from '../shared/errors.js';
import { WORKFLOWS, workflow } from '../shared/workflows.js';
import type { LocalConfig } from './config.js';
import { LocalHttpServer } from './http-server.js';
import { cronMatches, rateMs, readSchedules } from './schedules.js';
import { createLocalWorld, type LocalWorld } from './world.js';
import { failoverRoutes } from './failover-routes.js';
import { startLocalDesk } from './service-desk.js';
import { startSandboxMailProvider, verificationInbox, verifyRoute } from './custom-email-world.js';
import type { SandboxMailProvider } from './sandbox/mail-provider/index.js';
import { githubAppRoutes } from './github-app-routes.js';
import { loopbackPort, startGithubAppSandbox, type GithubAppSandbox } from './github-app-world.js';

/** Executions API of the local stack (what the AWS console or `aws stepfunctions` does in AWS). */
export function executionRoutes(server: LocalHttpServer, world: LocalWorld): void {
  const { engine } = world;
  server.route('GET', '/', () => ({
    status: 200,
    body: {
      service: 'ghes-ops local stack',
      workflows: WORKFLOWS.map((w) => ({
        key: w.key,
        start: `POST /executions/${w.key}`,
        example: w.example,
      })),
    },
  }));
  server.route('POST', '/executions/:workflow', async (req) => {
    if (!workflow(req.params.workflow ?? ''))
      return { status: 404, body: { error: `unknown workflow ${req.params.workflow}` } };
    let input: unknown;
    try {
      input = req.body ? JSON.parse(req.body) : {};
    } catch {
      return { status: 400, body: { error: 'the body must be the execution input as JSON' } };
    }
    const name = req.query.get('name') ?? undefined;
    try {
      const started = await engine.startExecution(req.params.workflow!, input, name);
      return { status: 202, body: started };
    } catch (e) {
      return { status: 409, body: { error: (e as Error).name, message: (e as Error).message } };
    }
  });
  server.route('GET', '/executions', () => ({ status: 200, body: engine.listExecutions() }));
  server.route('GET', '/executions/:workflow/:name', (req) => {
    const arn = engine
      .listExecutions()
      .find((e) => e.stateMachine === req.params.workflow && e.name === req.params.name)?.executionArn;
    if (!arn) return { status: 404, body: { error: 'no such execution' } };
    const d = engine.describeExecution(arn);
    return {
      status: 200,
      body: {
        ...d,
        cause: d.cause ? causeMessage(d.cause) : undefined,
        history: engine.getExecutionHistory(arn),
      },
    };
  });
  server.route('POST', '/tasks/:token/success', async (req) => {
    await engine.sendTaskSuccess(req.params.token!, req.body ? JSON.parse(req.body) : {});
    return { status: 200, body: { ok: true } };
  });
  server.route('POST', '/tasks/:token/failure', async (req) => {
    const body = (req.body ? JSON.parse(req.body) : {}) as { error?: string; cause?: string };
    await engine.sendTaskFailure(req.params.token!, body.error ?? 'Rejected', body.cause ?? '');
    return { status: 200, body: { ok: true } };
  });
}

/** Starts the schedules declared in serverless.yml; returns a function that stops them. */
export function startSchedules(root: string, world: LocalWorld, log: (line: string) => void): () => void {
  const timers: NodeJS.Timeout[] = [];
  for (const s of readSchedules(root)) {
    const label = `${s.stateMachine} on ${s.expression}`;
    if (!s.enabled) {
      log(`  schedule ${label}: disabled (enable it in serverless.yml params)`);
      continue;
    }
    const fire = (): void => {
      world.engine.startExecution(s.stateMachine, s.input).then(
        (e) => log(`schedule ${label}: started ${e.executionArn}`),
        (e: Error) => log(`schedule ${label}: could not start: ${e.message}`),
      );
    };
    const every = rateMs(s.expression);
    if (every !== undefined) {
      timers.push(setInterval(fire, every * world.clock.scale));
    } else {
      let last = '';
      timers.push(
        setInterval(() => {
          const now = new Date(world.clock.now());
          const minute = now.toISOString().slice(0, 16);
          if (minute !== last && cronMatches(s.expression, now)) fire();
          last = minute;
        }, 1000),
      );
    }
    log(`  schedule ${label}: enabled${s.timezone !== 'UTC' ? ' (local stack evaluates cron in UTC)' : ''}`);
  }
  return () => timers.forEach((t) => clearInterval(t));
}

/** `npm start`: the local stack on the embedded default (the sandbox). Stops cleanly on Ctrl-C. */
export async function startStack(root: string, config: LocalConfig): Promise<void> {
  const log = (line: string): void => console.log(line);
  const world = createLocalWorld({
    root,
    config,
    onEvent: (e, arn) => {
      if (
        e.type === 'ExecutionSucceeded' ||
        e.type === 'ExecutionFailed' ||
        e.type === 'ExecutionStarted' ||
        e.type === 'ExecutionTimedOut'
      ) {
        log(
          `${new Date().toISOString()} ${arn.split(':').slice(-2).join('/')} ${e.type}${e.error ? `: ${e.error}` : ''}`,
        );
      }
    },
  });
  const server = new LocalHttpServer();
  executionRoutes(server, world);
  failoverRoutes(server, world);
  githubAppRoutes(server, () => world.deps);
  // The sandbox GHES (web + REST) when githubApp.ghesUrl is on loopback: the GitHub App registers
  // on it, and the service desk keeps its tickets repository on it too (one sandbox GHES).
  const ghesPort = config.githubApp ? loopbackPort(config.githubApp.ghesUrl) : undefined;
  let appGhes: GithubAppSandbox | undefined;
  if (world.sandbox && ghesPort !== undefined)
    appGhes = await startGithubAppSandbox(world.sandbox, { port: ghesPort });
  // The service desk, with the custom-email verification: +verify mail resumes the waiting
  // execution; the sandbox mail provider of the custom domain forwards to this desk.
  const deskConfig = config.local.serviceDesk.desk;
  let provider: SandboxMailProvider | undefined;
  const desk = world.sandbox
    ? await startLocalDesk(config, world, server, log, {
        verification: verificationInbox(world, deskConfig, world.deps.log.child({ fn: 'serviceDesk' })),
        verdicts: (envelope) => provider?.verdictsFor(envelope),
        ...(appGhes ? { ghes: appGhes.ghes } : {}),
      })
    : undefined;
  if (desk) {
    provider = await startSandboxMailProvider(
      world,
      deskConfig,
      { host: config.local.serviceDesk.smtp.host, port: desk.smtpPort },
      (line) => log(`    ${line}`),
    );
    const tokenName = await verifyRoute(world, deskConfig, server);
    log(
      `    custom email: POST /service-desk/custom-email/<project>/verify with Authorization: Bearer <parameter ${tokenName}>, or npx ghes-ops desk verify <project>`,
    );
  }
  const { url } = await server.listen(config.local.http.port, config.local.http.host);
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
  if (config.githubApp)
    log(
      `  github app: setup ${config.githubApp.publicUrl}/github-app/setup on ${appGhes ? `sandbox GHES ${appGhes.url}` : config.githubApp.ghesUrl}`,
    );
  const stopSchedules = startSchedules(root, world, log);
  log('\nTrigger a workflow:');
  for (const w of WORKFLOWS) {
    log(`  curl -s -X POST ${url}/executions/${w.key} -d '${JSON.stringify(w.example)}'`);
    log(`  npx ghes-ops run ${w.key} --input '${JSON.stringify(w.example)}'`);
  }
  log(
    `  curl -s ${url}/executions            (list; then GET /executions/<workflow>/<name> for one, with its history)`,
  );
  log('\nCtrl-C stops.');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      log('\nstopping...');
      stopSchedules();
      for (const e of world.engine.listExecutions())
        if (e.status === 'RUNNING')
          world.engine.stopExecution(e.executionArn, 'LocalStackStopped', 'npm start was stopped');
      void Promise.all([server.close(), appGhes?.close(), provider?.close(), desk?.close()]).then(() =>
        resolve(),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log('stopped.');
}
