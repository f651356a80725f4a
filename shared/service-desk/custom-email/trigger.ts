import { GhesOpsError, InputValidationError } from '../../errors.js';
import type { Executions } from '../../executions/executions.js';
import type { Logger } from '../../logger.js';
import type { ParameterStore } from '../../params/parameter-store.js';
import { Fields } from '../../validate.js';
import type { DeskConfig } from '../config.js';
import { CustomEmailNotConfigured } from './errors.js';
import { CustomEmailStore, requireDeskProject } from './settings.js';
import { parseVerificationRequest, sameSecret, STATE_MACHINE } from './workflow.js';

/**
 * `POST /service-desk/custom-email/<project>/verify` (serviceDeskHttp in AWS, the local stack on
 * loopback): starts a verification. Requires `Authorization: Bearer <admin token>`, the token in
 * the SecureString `<prefix>/service-desk/admin-token`, compared in constant time; without it (or
 * with no token stored) the answer is 401 and nothing starts. Body: `{"triggeredBy": "...",
 * "strict"?: true}`. 202 with the execution ARN; the execution itself refuses a running verification.
 */
export const VERIFY_PATH = /^(?:.*)\/service-desk\/custom-email\/([^/]{1,200})\/verify\/?$/;

export const adminTokenParameter = (parameterPrefix: string): string =>
  `${parameterPrefix.replace(/\/$/, '')}/service-desk/admin-token`;

export interface VerifyRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface VerifyContext {
  params: ParameterStore;
  executions: Pick<Executions, 'start'>;
  parameterPrefix: string;
  desk: DeskConfig;
  log: Logger;
}

export interface VerifyResponse {
  status: number;
  body: Record<string, unknown>;
}

function header(headers: VerifyRequest['headers'], name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : headers[key];
  return Array.isArray(v) ? v[0] : v;
}

/** The bearer token matches the stored admin token (constant time; none stored matches nothing). */
export async function adminAuthorized(
  headers: VerifyRequest['headers'],
  ctx: Pick<VerifyContext, 'params' | 'parameterPrefix' | 'log'>,
): Promise<boolean> {
  const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header(headers, 'authorization') ?? '');
  const expected = await ctx.params.get(adminTokenParameter(ctx.parameterPrefix));
  if (!expected) {
    ctx.log.warn('custom email: verify endpoint called but no admin token is stored', {
      parameter: adminTokenParameter(ctx.parameterPrefix),
    });
    return false;
  }
  const given = m?.[1] ?? '';
  return sameSecret(given, expected);
}

const refused = (status: number, e: GhesOpsError | Error): VerifyResponse => ({
  status,
  body: { error: e.name, message: e.message },
});

export async function verifyEndpoint(req: VerifyRequest, ctx: VerifyContext): Promise<VerifyResponse> {
  if (!(await adminAuthorized(req.headers, ctx))) {
    return {
      status: 401,
      body: {
        error: 'Unauthorized',
        message: `Send Authorization: Bearer <admin token> (the SecureString ${adminTokenParameter(ctx.parameterPrefix)}).`,
      },
    };
  }
  let project: string;
  let input: { project: string; triggeredBy: string; strict?: boolean };
  try {
    project = decodeURIComponent(VERIFY_PATH.exec(req.path)?.[1] ?? '');
    requireDeskProject(ctx.desk, project);
    let body: unknown = {};
    if (req.body.trim()) {
      try {
        body = JSON.parse(req.body);
      } catch {
        const f = new Fields({}, 'request body');
        f.fail('(body)', 'must be JSON such as {"triggeredBy": "you@example.com"}');
        f.done();
      }
    }
    const f = new Fields(body, 'request body');
    f.only(['triggeredBy', 'strict']);
    f.done();
    input = parseVerificationRequest({ ...(body as Record<string, unknown>), project });
  } catch (e) {
    if (e instanceof InputValidationError || e instanceof URIError) return refused(400, e);
    throw e;
  }
  const settings = await new CustomEmailStore(ctx.params, ctx.parameterPrefix).settings(project);
  if (!settings) {
    return refused(
      409,
      new CustomEmailNotConfigured(
        `Project ${project} has no custom email settings: set them with ghes-ops desk email set ${project} ... first.`,
      ),
    );
  }
  const started = await ctx.executions.start(STATE_MACHINE, input);
  ctx.log.info('custom email: verification started over HTTP', {
    project,
    triggeredBy: input.triggeredBy,
    execution: started.executionArn,
  });
  return { status: 202, body: { project, executionArn: started.executionArn, startDate: started.startDate } };
}
