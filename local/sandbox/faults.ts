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
}

export const NO_FAULTS: Readonly<Faults> = Object.freeze({ promoteBug: false, uploadBlocked: false });
