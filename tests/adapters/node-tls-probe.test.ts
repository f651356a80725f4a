import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SandboxTls } from '../../local/sandbox/runbook/tls.js';
import { NodeTlsProbe } from '../../shared/tls/node-tls-probe.js';

/** Real TLS handshakes on loopback against certificates generated now. */
const HOST = 'github.example.test';
const servers: SandboxTls[] = [];
async function serving(daysLeft: number, certName = HOST): Promise<number> {
  const tls = new SandboxTls(HOST, { daysLeft, certName, acmeEnabled: true, renewalFails: false }, Date.now);
  servers.push(tls);
  return tls.start();
}
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('NodeTlsProbe', () => {
  const probe = new NodeTlsProbe();

  it('reads the leaf and its chain with SNI, reporting (not enforcing) trust and name', async () => {
    const port = await serving(40);
    const served = await probe.probe({ hostname: HOST, connectHost: '127.0.0.1', port });
    expect(served).toMatchObject({
      hostname: HOST,
      address: '127.0.0.1',
      port,
      hostnameMatches: true,
      trusted: false,
    });
    expect(served.chain).toHaveLength(2);
    const [leaf, ca] = served.chain;
    expect(leaf!.dnsNames).toEqual([HOST]);
    expect(leaf!.issuer).toBe(ca!.subject);
    const days = (Date.parse(leaf!.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(39);
    expect(days).toBeLessThanOrEqual(40);
    expect(leaf!.pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(leaf!.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('reads an expired certificate and one for another name', async () => {
    const expired = await probe.probe({ hostname: HOST, connectHost: '127.0.0.1', port: await serving(-3) });
    expect(Date.parse(expired.chain[0]!.validTo)).toBeLessThan(Date.now());
    const other = await probe.probe({
      hostname: HOST,
      connectHost: '127.0.0.1',
      port: await serving(60, 'ghes-old.example.com'),
    });
    expect(other.hostnameMatches).toBe(false);
    expect(other.hostnameError).toContain(HOST);
  });

  describe('when no certificate can be read', () => {
    let plain: Server;
    let port: number;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      // Accepts TCP and answers in plain text, like a misconfigured port.
      plain = createServer((s) => {
        sockets.add(s);
        s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      });
      await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
      port = (plain.address() as AddressInfo).port;
    });
    afterAll(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => plain.close(() => r()));
    });

    it('fails with TlsHandshakeFailed, saying where it connected', async () => {
      await expect(
        probe.probe({ hostname: HOST, connectHost: '127.0.0.1', port, timeoutMs: 2000 }),
      ).rejects.toMatchObject({
        name: 'TlsHandshakeFailed',
        message: expect.stringContaining(`127.0.0.1:${port} (as ${HOST})`),
      });
    });
  });
});
