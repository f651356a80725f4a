import type { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';
import { TlsHandshakeFailed } from '../runbook/errors.js';
import type { CertificateInfo, ProbeTarget, ServedCertificate, TlsProbe } from './tls-probe.js';

/** Reads a certificate (PEM or DER) into the fields the workflow reports. */
export function certificateInfo(cert: X509Certificate): CertificateInfo {
  const dnsNames = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    serialNumber: cert.serialNumber,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    dnsNames,
    fingerprint256: cert.fingerprint256,
    pem: cert.toString(),
  };
}

/**
 * A real TLS handshake with node:tls: SNI set to the hostname, the certificate read whatever its
 * validity (rejectUnauthorized: false, then the verification result and the name check are
 * reported, not enforced). Nothing is sent after the handshake.
 */
export class NodeTlsProbe implements TlsProbe {
  async probe(target: ProbeTarget): Promise<ServedCertificate> {
    // Imported here, not at the top: in a function bundle esbuild hoists static imports of Node
    // built-ins to the start, and node:tls would load at every cold start of the function.
    const [{ X509Certificate }, { checkServerIdentity, connect }] = await Promise.all([
      import('node:crypto'),
      import('node:tls'),
    ]);
    const host = target.connectHost ?? target.hostname;
    const where = `${host}:${target.port}${host !== target.hostname ? ` (as ${target.hostname})` : ''}`;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host,
        port: target.port,
        servername: target.hostname,
        rejectUnauthorized: false,
        timeout: target.timeoutMs ?? 10_000,
      });
      const fail = (why: string): void => {
        socket.destroy();
        reject(
          new TlsHandshakeFailed(
            `No TLS certificate could be read from ${where}: ${why}. Check that GHES is up and that this function can reach port ${target.port} (security group, VPC).`,
            { host, port: target.port },
          ),
        );
      };
      socket.once('timeout', () => fail('no answer in time'));
      socket.once('error', (e: Error & { code?: string }) => fail(e.code ?? e.message));
      socket.once('secureConnect', () => {
        try {
          const peer = socket.getPeerCertificate(true);
          if (!peer?.raw) return fail('the server sent no certificate');
          const chain: CertificateInfo[] = [];
          const seen = new Set<string>();
          for (let c: DetailedPeerCertificate | undefined = peer; c?.raw; c = c.issuerCertificate) {
            const x = new X509Certificate(c.raw);
            if (seen.has(x.fingerprint256)) break;
            seen.add(x.fingerprint256);
            chain.push(certificateInfo(x));
          }
          const identity = checkServerIdentity(target.hostname, peer);
          const authError = socket.authorizationError;
          resolve({
            hostname: target.hostname,
            address: socket.remoteAddress ?? host,
            port: target.port,
            protocol: socket.getProtocol() ?? 'unknown',
            chain,
            trusted: socket.authorized,
            ...(authError ? { authorizationError: String(authError) } : {}),
            hostnameMatches: identity === undefined,
            ...(identity ? { hostnameError: identity.message } : {}),
          });
        } catch (error) {
          fail((error as Error).message);
        } finally {
          socket.end();
        }
      });
    });
  }
}
