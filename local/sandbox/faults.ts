/**
 * Faults that change how commands behave (scenarios switch them on; tests can toggle them with
 * `sandbox.setFault`). State faults such as a node being down are appliance state instead.
 */
export interface Faults {
  /**
   * The known `ghe-repl-promote` bug (release note, 2024-11): with the old primary unreachable, the
   * promotion fails while decommissioning Elasticsearch nodes through the old primary.
   */
  promoteBug: boolean;
  /** No outbound HTTPS to GitHub's bundle service: uploads to GitHub Support fail. */
  uploadBlocked: boolean;
  /**
   * The SSH sessions to the appliance drop while a support bundle runs (after its first step) or
   * while `ghe-repl-promote` runs (once replication is stopped): commands attached to a session
   * die (ssh exits 255) and new connections are refused for `SESSION_DROP_SECONDS`. A detached
   * command carries on.
   */
  sessionDrop: boolean;
}

/** How long new connections fail after a session drop (virtual seconds). */
export const SESSION_DROP_SECONDS = 30;

export const NO_FAULTS: Readonly<Faults> = Object.freeze({
  promoteBug: false,
  uploadBlocked: false,
  sessionDrop: false,
});
