import { escapeHtml, page } from '../github-app/pages.js';
import {
  jsonResult,
  method,
  pathParam,
  rawBody,
  result,
  type HttpApiEvent,
  type HttpApiResult,
} from '../http/api-event.js';
import type { Deps } from '../runtime/deps.js';
import { deskConfigFor } from './custom-email/project.js';
import type { DeskDeps } from './desk-factory.js';

/**
 * The service desk's HTTP API routes (serviceDeskHttp), dispatched on API Gateway's `routeKey`
 * (the `httpApi` events in serverless.yml; the local HTTP server sets the same key):
 * - `POST /service-desk/webhook`: GitHub `issue_comment` webhooks (team replies), signed;
 * - `GET|POST /service-desk/unsubscribe/{key}`: the List-Unsubscribe link. GET only shows a
 *   confirmation page (mail scanners follow links); POST unsubscribes (RFC 8058 one-click too);
 * - `POST /service-desk/custom-email/{project}/verify`: starts a custom email verification.
 * Each route loads what it uses when it is called (the desk, the webhook, the verification): the
 * function's import stays small, and no route loads the mail pipeline's parsers.
 */
export type DeskHttpDeps = DeskDeps & Pick<Deps, 'params'>;

const UNSUBSCRIBE_KEY = /^[0-9a-f]{32}$/;

const unsubscribePage = (status: number, title: string, inner: string): HttpApiResult => {
  const p = page(status, title, inner);
  return result(p.status, p.headers, p.body);
};

export async function serveDeskHttp(event: HttpApiEvent, deps: DeskHttpDeps): Promise<HttpApiResult> {
  switch (event.routeKey) {
    case 'POST /service-desk/webhook': {
      const [{ handleWebhook }, { deskFromDeps }, { sendSatisfactionSurvey, surveyDepsFrom }] =
        await Promise.all([import('./webhook.js'), import('./desk-factory.js'), import('./satisfaction.js')]);
      const secret =
        (await deps.params.get(`${deps.config.parameterPrefix}/service-desk/webhook-secret`)) ?? '';
      const r = await handleWebhook(
        { headers: event.headers ?? {}, body: rawBody(event) },
        secret,
        deskFromDeps(deps),
        deps.log,
        // deskb (issue 19 item 5): the satisfaction survey on close (opt-in per project).
        {
          onClosed: (repo, n) =>
            sendSatisfactionSurvey({ ...surveyDepsFrom(deps), mailer: deps.mailer }, repo, n),
        },
      );
      return jsonResult(r.status, r.body);
    }
    case 'GET /service-desk/unsubscribe/{key}':
    case 'POST /service-desk/unsubscribe/{key}': {
      const key = pathParam(event, 'key');
      if (!UNSUBSCRIBE_KEY.test(key))
        return unsubscribePage(404, 'Unknown unsubscribe link', '<p>This link is not valid.</p>');
      if (method(event) === 'GET')
        return unsubscribePage(
          200,
          'Stop email about this ticket?',
          `<form method="post" action="${escapeHtml(key)}"><button type="submit">Unsubscribe</button></form>`,
        );
      const { deskFromDeps } = await import('./desk-factory.js');
      const o = await deskFromDeps(deps).unsubscribe(key);
      return o.action === 'unsubscribed'
        ? unsubscribePage(200, 'Unsubscribed', '<p>You will receive no more email about this ticket.</p>')
        : unsubscribePage(404, 'Unknown unsubscribe link', '<p>This link is not valid.</p>');
    }
    case 'POST /service-desk/custom-email/{project}/verify': {
      const { verifyEndpoint } = await import('./custom-email/trigger.js');
      const r = await verifyEndpoint(
        { path: event.rawPath, headers: event.headers ?? {}, body: rawBody(event) },
        {
          params: deps.params,
          executions: deps.executions,
          parameterPrefix: deps.config.parameterPrefix,
          desk: deskConfigFor(deps.config),
          log: deps.log,
        },
      );
      return jsonResult(r.status, r.body);
    }
    default:
      return jsonResult(404, { error: `no service desk route ${event.routeKey}` });
  }
}
