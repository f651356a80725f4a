import { causeMessage } from '../shared/errors.js';
import { decide, isApprovalWorkflow } from '../shared/approval/gate.js';
import { WORKFLOWS, workflow } from '../shared/workflows.js';
import { jsonBody, LocalHttpServer } from './http-server.js';
import type { LocalWorld } from './world.js';
import { allExecutions, findExecution } from './engine/execution-records.js';
import { resetSandbox } from './sandbox/reset.js';

/**
 * The local stack's HTTP server: serverless.yml's HTTP API routes, each served by its function
 * (the same handler as in AWS, with an API Gateway payload 2.0 event), plus the local stack's own
 * management API, standing in for what the AWS console and `aws stepfunctions` do:
 * - `GET /`, `POST /executions/:workflow`, `GET /executions`, `GET /executions/:workflow/:name`
 *   (the stack's executions and those on record from other processes, wall-clock times),
 *   `POST /executions/:workflow/:name/stop` (StopExecution);
 * - `POST /sandbox/reset`: rebuild the sandbox pair so a failover can be tried again;
 * - `POST /tasks/:token/success|failure` (SendTaskSuccess / SendTaskFailure);
 * - `POST /approvals/:execution/decision`: `ghes-ops approve|reject|confirm-traffic` (JSON
 *   `{decision, reason?, by?, expect?}`) for the execution of that name in any workflow with an
 *   operator wait, trusted like every route of this loopback-only server.
 */
export function localHttpApi(world: LocalWorld): LocalHttpServer {
  const server = new LocalHttpServer();
  managementRoutes(server, world);
  submissionRoutes(server, world);
  sandboxRoutes(server, world);
  server.serveFunctions(
    world.triggers.http,
    (key, event) => world.engine.invokeFunction(key, event),
    (route, error) =>
      world.deps.log.error(`HTTP ${route.method} ${route.path}: function ${route.functionKey} failed`, {
        error: error.name,
        detail: error.message,
      }),
  );
  return server;
}

function managementRoutes(server: LocalHttpServer, world: LocalWorld): void {
  const { engine } = world;
  server.route('GET', '/', () => ({
    status: 200,
    body: {
      service: 'ghes-ops local stack',
      // What `ghes-ops run` compares with its own configuration before submitting here.
      stack: stackIdentity(world),
      workflows: WORKFLOWS.map((w) => ({
        key: w.key,
        start: `POST /executions/${w.key}`,
        example: w.example,
      })),
      httpApi: world.triggers.http.map((r) => `${r.method} ${r.path} -> ${r.functionKey}`),
    },
  }));
  server.route('POST', '/executions/:workflow', async (req) => {
    if (!workflow(req.params.workflow ?? ''))
      return { status: 404, body: { error: `unknown workflow ${req.params.workflow}` } };
    const input = jsonBody<unknown>(req.body);
    if (input === undefined)
      return { status: 400, body: { error: 'the body must be the execution input as JSON' } };
    const name = req.query.get('name') ?? undefined;
    try {
      return { status: 202, body: await engine.startExecution(req.params.workflow!, input, name) };
    } catch (e) {
      return { status: 409, body: { error: (e as Error).name, message: (e as Error).message } };
    }
  });
  server.route('GET', '/executions', () => ({
    status: 200,
    body: allExecutions(engine, world.records),
  }));
  server.route('GET', '/executions/:workflow/:name', (req) => {
    const found = findExecution(engine, world.records, req.params.workflow ?? '', req.params.name ?? '');
    if (!found) return { status: 404, body: { error: 'no such execution' } };
    const d = found.description;
    return {
      status: 200,
      body: { ...d, cause: d.cause ? causeMessage(d.cause) : undefined, history: found.history },
    };
  });
  server.route('POST', '/tasks/:token/success', async (req) => {
    const output = jsonBody<unknown>(req.body);
    if (output === undefined)
      return { status: 400, body: { error: 'the body must be the task output as JSON' } };
    await engine.sendTaskSuccess(req.params.token!, output);
    return { status: 200, body: { ok: true } };
  });
  server.route('POST', '/tasks/:token/failure', async (req) => {
    const body = jsonBody<{ error?: string; cause?: string }>(req.body);
    if (body === undefined)
      return { status: 400, body: { error: 'the body must be JSON {"error"?, "cause"?}' } };
    await engine.sendTaskFailure(req.params.token!, body.error ?? 'Rejected', body.cause ?? '');
    return { status: 200, body: { ok: true } };
  });
  server.route('POST', '/approvals/:execution/decision', async (req) => {
    const body = jsonBody<{ decision?: unknown; reason?: unknown; by?: unknown; expect?: unknown }>(req.body);
    if (body === undefined)
      return {
        status: 400,
        body: { error: 'the body must be JSON {"decision": "approve"|"reject", "reason"?, "by"?}' },
      };
    if (body.decision !== 'approve' && body.decision !== 'reject')
      return { status: 400, body: { error: 'decision must be "approve" or "reject"' } };
    const executionName = req.params.execution ?? '';
    // The execution's workflow: the newest running execution of that name with an operator wait.
    const workflow = engine
      .listExecutions()
      .filter((e) => e.name === executionName && isApprovalWorkflow(e.stateMachine))
      .at(-1)?.stateMachine;
    if (!workflow || !isApprovalWorkflow(workflow))
      return {
        status: 404,
        body: {
          error: 'ApprovalNotFound',
          message: `No execution ${executionName} of a workflow that waits for an operator.`,
        },
      };
    try {
      const done = await decide(
        {
          workflow,
          executionName,
          decision: body.decision,
          by: typeof body.by === 'string' ? body.by : 'local CLI',
          ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
          ...(body.expect === 'approval' || body.expect === 'confirmation' ? { expect: body.expect } : {}),
          via: 'cli',
        },
        world.deps,
        { trusted: true },
      );
      return { status: 200, body: done };
    } catch (error) {
      const e = error as Error;
      return {
        status: e.name === 'ApprovalNotFound' ? 404 : 500,
        body: { error: e.name, message: e.message },
      };
    }
  });
}

/** What identifies a stack to the CLI: a run is submitted here only when these match its own. */
export interface StackIdentity {
  stateDir: string;
  appliance: string;
  scenario: string;
  timeScale: number;
}

export function stackIdentity(world: Pick<LocalWorld, 'config'>): StackIdentity {
  const { config } = world;
  return {
    stateDir: config.local.stateDir,
    appliance: `${config.appliance.runner}:${config.appliance.primary}`,
    scenario: config.local.scenario,
    timeScale: config.local.timeScale,
  };
}

/**
 * Execution submission from `ghes-ops run` (local/cli/stack-client.ts): it starts with
 * `POST /executions/:workflow?name=`, follows `GET /executions/:workflow/:name`, and on Ctrl-C
 * stops the execution here, as StopExecution (a failover stopped before promotion takes
 * maintenance mode off again, releases its lock and mails what happened).
 */
function submissionRoutes(server: LocalHttpServer, world: LocalWorld): void {
  server.route('POST', '/executions/:workflow/:name/stop', async (req) => {
    const arn = world.engine
      .listExecutions({ stateMachine: req.params.workflow ?? '' })
      .find((e) => e.name === req.params.name)?.executionArn;
    if (!arn) return { status: 404, body: { error: 'no such execution running on this stack' } };
    const body = jsonBody<{ error?: unknown; cause?: unknown }>(req.body) ?? {};
    void world.engine.stopExecution(
      arn,
      typeof body.error === 'string' ? body.error.slice(0, 256) : 'Stopped',
      typeof body.cause === 'string' ? body.cause.slice(0, 2000) : 'stopped through the local stack',
    );
    return { status: 202, body: { executionArn: arn, stopping: true } };
  });
}

/**
 * `POST /sandbox/reset` (`ghes-ops sandbox reset`, the console's reset button): the sandbox pair
 * rebuilt as after `ghe-repl-setup` (local/sandbox/reset.ts). 200 with what was done, 409 when
 * refused (a failover running, no sandbox).
 */
function sandboxRoutes(server: LocalHttpServer, world: LocalWorld): void {
  server.route('POST', '/sandbox/reset', async () => {
    try {
      const done = await resetSandbox(world);
      world.deps.log.info('sandbox reset', { primary: done.primary, replica: done.replica });
      return { status: 200, body: done };
    } catch (error) {
      const e = error as Error;
      if (e.name !== 'SandboxResetRefused') throw error;
      return { status: 409, body: { error: e.name, message: e.message } };
    }
  });
}
