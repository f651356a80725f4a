import { GhesOpsError } from '../errors.js';

/**
 * The actions-sync workflow's named errors (the ASL's Retry/Catch and the docs match on `name`).
 * Every message says what to do; none carries the token.
 */

/** The list of actions is malformed: every bad line is listed with its number. Nothing ran. */
export class ActionsListInvalid extends GhesOpsError {
  readonly name = 'ActionsListInvalid';
}

/** The destination token lacks a scope actions-sync needs (`repo`, `workflow`, `site_admin`). */
export class TokenScopeMissing extends GhesOpsError {
  readonly name = 'TokenScopeMissing';
}

/** The token's user is not an owner of a destination organization (e.g. `actions`). */
export class NotOrganizationOwner extends GhesOpsError {
  readonly name = 'NotOrganizationOwner';
}

/** The installed actions-sync binary is built for another architecture than the host's. */
export class ActionsSyncWrongArchitecture extends GhesOpsError {
  readonly name = 'ActionsSyncWrongArchitecture';
}

/** actions-sync is not installed where the workflow runs it, or its version is not the expected one. */
export class ActionsSyncNotInstalled extends GhesOpsError {
  readonly name = 'ActionsSyncNotInstalled';
}

/** The destination GHES API did not answer as expected (unreachable, bad credentials). */
export class GhesApiError extends GhesOpsError {
  readonly name = 'GhesApiError';
}

/** One action hit a transient failure (network, 5xx); the state machine retries it with backoff. */
export class ActionsSyncTransient extends GhesOpsError {
  readonly name = 'ActionsSyncTransient';
}
