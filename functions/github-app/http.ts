import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** HTTP API (payload 2.0) helpers for the GitHub App functions. */
export const httpEvent = (event: unknown): APIGatewayProxyEventV2 => event as APIGatewayProxyEventV2;

/** The body exactly as sent: signature checks need the raw bytes. */
export const rawBody = (event: APIGatewayProxyEventV2): string =>
  event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';

export const query = (event: APIGatewayProxyEventV2): URLSearchParams =>
  new URLSearchParams(event.rawQueryString ?? '');

export function result(
  status: number,
  headers: Record<string, string>,
  body: string,
): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers, body };
}
