/**
 * Helpers for errors thrown by AWS SDK v3 clients. Service errors carry the exception's name
 * (`ParameterNotFound`, `InvalidInstanceId`...) in `name`; some services echo request values in
 * their messages (e.g. `ValidationException: Value '...' at 'value' failed to satisfy constraint`),
 * so errors about requests carrying secrets are rebuilt with those secrets masked.
 */

export function awsErrorName(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'name' in err && typeof err.name === 'string') return err.name;
  return undefined;
}

export function isAwsError(err: unknown, ...names: string[]): boolean {
  const name = awsErrorName(err);
  return name !== undefined && names.includes(name);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

const MASK = '****';

/**
 * A new `Error` with the same `name` (so state machine `Retry`/`Catch` blocks still match, e.g. on
 * `ThrottlingException`) and a message with every `secrets` occurrence masked and `context`
 * prepended. The original error is not attached as `cause`: it would carry the secret along.
 */
export function maskedAwsError(err: unknown, context: string, secrets: readonly string[]): Error {
  let message = errorMessage(err);
  for (const secret of secrets) {
    if (secret.length >= 4) message = message.replaceAll(secret, MASK);
  }
  const name = awsErrorName(err) ?? 'Error';
  // AWS validation messages quote the offending value: never pass them through for secret requests.
  if (name === 'ValidationException' && secrets.length > 0) {
    message = 'the request was rejected by input validation (details withheld: they may quote the value)';
  }
  const out = new Error(`${context}: ${name}: ${message}`);
  out.name = name;
  return out;
}
