import { GhesOpsError } from '../errors.js';

/** Named errors of the runbook workflows (tls-certificate, backup-health, jira-prefix-list). */

/** The published IP ranges could not be fetched (network, HTTP status, size). Nothing was changed. */
export class IpRangesFetchFailed extends GhesOpsError {
  readonly name = 'IpRangesFetchFailed';
}

/** The ranges document is not the documented format (or would empty the list). Nothing was changed. */
export class IpRangesInvalid extends GhesOpsError {
  readonly name = 'IpRangesInvalid';
}

/** The prefix list's version is not the one the plan read: somebody else changed it. */
export class PrefixListVersionMismatch extends GhesOpsError {
  readonly name = 'PrefixListVersionMismatch';
}

/** The prefix list is missing, of the wrong address family, or its last modification failed. */
export class PrefixListUnusable extends GhesOpsError {
  readonly name = 'PrefixListUnusable';
}

/** No certificate could be read from the server (refused, timeout, not TLS). */
export class TlsHandshakeFailed extends GhesOpsError {
  readonly name = 'TlsHandshakeFailed';
}

/** `ghe-ssl-acme` failed on the appliance. */
export class AcmeRenewalFailed extends GhesOpsError {
  readonly name = 'AcmeRenewalFailed';
}

/** The renewal reported success but the served certificate did not change. */
export class CertificateNotReplaced extends GhesOpsError {
  readonly name = 'CertificateNotReplaced';
}
