/**
 * Named errors. An error's `name` is the contract with the state machines: Lambda reports it as
 * `errorType`, and the ASL `Retry`/`Catch` blocks match on it. Messages tell the operator what to
 * do next. Never put a secret in a message: messages reach execution history and emails.
 */
export abstract class GhesOpsError extends Error {
  abstract override readonly name: string;
  /** Extra, non-secret facts for the notification (appliance output, the field at fault...). */
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.details = details;
  }
}

export interface FieldProblem {
  field: string;
  problem: string;
}

/** The input of an execution or request is invalid. Nothing was run. */
export class InputValidationError extends GhesOpsError {
  readonly name = 'InputValidationError';
  readonly problems: FieldProblem[];

  constructor(problems: FieldProblem[], what = 'input') {
    super(
      `Invalid ${what}: ${problems.map((p) => `${p.field}: ${p.problem}`).join('; ')}. Nothing was run; fix the ${what} and start again.`,
      { problems },
    );
    this.problems = problems;
  }
}

/** Configuration is missing or invalid (environment variables, config file). */
export class ConfigError extends GhesOpsError {
  readonly name = 'ConfigError';
}

/** An appliance command exited non-zero. */
export class ApplianceCommandFailed extends GhesOpsError {
  readonly name = 'ApplianceCommandFailed';
}

/** The appliance could not be reached (SSH refused, SSM agent offline, instance unknown). */
export class ApplianceUnreachable extends GhesOpsError {
  readonly name = 'ApplianceUnreachable';
}

/** An appliance command did not finish in time. */
export class ApplianceCommandTimeout extends GhesOpsError {
  readonly name = 'ApplianceCommandTimeout';
}

/** A parameter that must exist is missing from the parameter store. */
export class ParameterNotFound extends GhesOpsError {
  readonly name = 'ParameterNotFound';
}

/** Writing a parameter that already exists without overwrite (the basis of locks). */
export class ParameterAlreadyExists extends GhesOpsError {
  readonly name = 'ParameterAlreadyExists';
}

/** Sending an email failed. */
export class MailDeliveryFailed extends GhesOpsError {
  readonly name = 'MailDeliveryFailed';
}

/** The support bundle did not complete: generation or upload failed. */
export class SupportBundleFailed extends GhesOpsError {
  readonly name = 'SupportBundleFailed';
}

/** The support bundle was still running when the workflow's time limit was reached. */
export class SupportBundleTimeout extends GhesOpsError {
  readonly name = 'SupportBundleTimeout';
}

/** Serializable form of an error, as Step Functions records it (`Error` and `Cause`). */
export interface ErrorInfo {
  Error: string;
  Cause: string;
}

/**
 * Reads the message out of a Step Functions `Cause`. Lambda errors arrive as a JSON document
 * `{"errorType","errorMessage",...}`; other causes are plain text.
 */
export function causeMessage(cause: unknown): string {
  if (typeof cause !== 'string') return cause === undefined || cause === null ? '' : JSON.stringify(cause);
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    /* plain text cause */
  }
  return cause;
}
