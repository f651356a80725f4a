/**
 * Reads the certificate a server presents, by a real TLS handshake (SNI = the hostname), without
 * trusting it: an expired or wrong-name certificate must still be read and reported.
 * Production and locally: node:tls (shared/tls/node-tls-probe.ts); in AWS the function runs where
 * it can reach the appliance (inside the VPC); locally the sandbox serves a real certificate on loopback.
 */
export interface ProbeTarget {
  /** The name GHES serves: sent as SNI and checked against the certificate. */
  hostname: string;
  /** Where to connect (default: hostname). */
  connectHost?: string;
  port: number;
  timeoutMs?: number;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  validFrom: string;
  validTo: string;
  /** DNS names from subjectAltName. */
  dnsNames: string[];
  fingerprint256: string;
  pem: string;
}

export interface ServedCertificate {
  hostname: string;
  address: string;
  port: number;
  protocol: string;
  /** Leaf first, then the chain as presented (issuer certificates), without repeats. */
  chain: CertificateInfo[];
  /** The chain verifies against the trust store (`authorizationError` says why not). */
  trusted: boolean;
  authorizationError?: string;
  /** The leaf is valid for the hostname (node's checkServerIdentity). */
  hostnameMatches: boolean;
  hostnameError?: string;
}

export interface TlsProbe {
  /** Throws TlsHandshakeFailed when no certificate could be read (refused, timeout, no TLS). */
  probe(target: ProbeTarget): Promise<ServedCertificate>;
}
