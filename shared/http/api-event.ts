import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InputValidationError } from '../errors.js';

/**
 * API Gateway HTTP API (payload format 2.0) events and results, for every HTTP-triggered function.
 * One parser, one body decoder, one set of page headers: the Lambdas and the local HTTP server
 * (which builds the same events, local/http-api.ts) share them.
 */
export type HttpApiEvent = APIGatewayProxyEventV2;
export type HttpApiResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

/** Checks the parts of a payload 2.0 event the handlers read; anything else is refused. */
export function httpApiEvent(event: unknown): HttpApiEvent {
  const e = event as Partial<HttpApiEvent> | null;
  const method = e?.requestContext?.http?.method;
  if (!e || typeof e !== 'object' || typeof method !== 'string' || typeof e.rawPath !== 'string') {
    throw new InputValidationError(
      [
        {
          field: 'requestContext.http.method, rawPath',
          problem: 'must be an API Gateway HTTP API (payload format 2.0) event',
        },
      ],
      'HTTP event',
    );
  }
  return e as HttpApiEvent;
}

export const method = (event: HttpApiEvent): string => event.requestContext.http.method.toUpperCase();

/** The body exactly as sent (signature checks need the raw bytes), decoded when API Gateway base64-encoded it. */
export const rawBody = (event: HttpApiEvent): string =>
  event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';

export const query = (event: HttpApiEvent): URLSearchParams =>
  new URLSearchParams(event.rawQueryString ?? '');

/** A path parameter (`{name}` in the route), or '' when absent. */
export const pathParam = (event: HttpApiEvent, name: string): string => event.pathParameters?.[name] ?? '';

/**
 * Headers of every HTML page a person opens from a mail or a browser (approval link, GitHub App
 * setup, unsubscribe): no caching, no referrer, no framing, no script, forms only to ourselves or
 * GHES (the manifest form posts to GHES).
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'",
});

export const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
});

export function htmlResult(status: number, body: string, extra: Record<string, string> = {}): HttpApiResult {
  return { statusCode: status, headers: { ...PAGE_HEADERS, ...extra }, body };
}

export function jsonResult(status: number, body: unknown): HttpApiResult {
  return { statusCode: status, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

export function result(status: number, headers: Record<string, string>, body: string): HttpApiResult {
  return { statusCode: status, headers, body };
}
