import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import type { CommandSpec } from '../command-registry.js';

const DAY = 86_400_000;

export interface TlsScenario {
  /** Days from now to the served certificate's expiry (negative: expired). */
  daysLeft: number;
  /** The DNS name in the served certificate (another name: wrong-hostname). */
  certName: string;
  acmeEnabled: boolean;
  /** Every `ghe-ssl-acme -e` fails (Let's Encrypt cannot reach port 80). */
  /** `until-cleared`: stale ACME settings; `ghe-ssl-acme -e` fails until `ghe-ssl-acme -x` cleared them. */
  renewalFails: boolean | 'until-cleared';
}

interface Pems {
  key: string;
  cert: string;
}

/**
 * The appliance's HTTPS endpoint and its ACME state: a real TLS server on loopback serving a real
 * certificate (generated at start with `selfsigned`, signed by a sandbox CA standing in for Let's
 * Encrypt, dated on the sandbox clock), and the `ghe-ssl-acme` command that changes what it serves.
 */
export class SandboxTls {
  readonly state: TlsScenario & { cleared: boolean; renewals: number };
  private server: Server | undefined;
  private started: Promise<number> | undefined;
  private renewed: Pems | undefined;
  private ready: Promise<{ initial: Pems; renewed: Pems }> | undefined;

  constructor(
    readonly hostname: string,
    scenario: TlsScenario,
    private readonly now: () => number,
  ) {
    this.state = { ...scenario, cleared: false, renewals: 0 };
  }

  private certificates(): Promise<{ initial: Pems; renewed: Pems }> {
    return (this.ready ??= (async () => {
      const now = this.now();
      const ca = await generate([{ name: 'commonName', value: "Sandbox ACME CA (not Let's Encrypt)" }], {
        keyType: 'ec',
        curve: 'P-256',
        notBeforeDate: new Date(now - 400 * DAY),
        notAfterDate: new Date(now + 3650 * DAY),
        extensions: [{ name: 'basicConstraints', cA: true, critical: true }],
      });
      const leaf = async (name: string, from: number, to: number): Promise<Pems> => {
        const p = await generate([{ name: 'commonName', value: name }], {
          keyType: 'ec',
          curve: 'P-256',
          notBeforeDate: new Date(from),
          notAfterDate: new Date(to),
          ca: { key: ca.private, cert: ca.cert },
          extensions: [
            { name: 'basicConstraints', cA: false },
            { name: 'subjectAltName', altNames: [{ type: 2, value: name }] },
          ],
        });
        return { key: p.private, cert: `${p.cert.trim()}\n${ca.cert.trim()}\n` };
      };
      const until = now + this.state.daysLeft * DAY;
      const [initial, renewed] = await Promise.all([
        leaf(this.state.certName, until - 90 * DAY, until),
        leaf(this.hostname, now - 60_000, now + 90 * DAY),
      ]);
      this.renewed = renewed;
      return { initial, renewed };
    })());
  }

  /** Starts the server (once); resolves to its loopback port. */
  start(): Promise<number> {
    return (this.started ??= this.certificates().then(
      ({ initial }) =>
        new Promise<number>((resolve, reject) => {
          const server = createServer({ key: initial.key, cert: initial.cert }, (socket) => socket.end());
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            server.unref();
            this.server = server;
            resolve((server.address() as AddressInfo).port);
          });
        }),
    ));
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Installs the renewed certificate (what a successful `ghe-ssl-acme -e` ends with). */
  private install(): boolean {
    if (!this.renewed || !this.server) return false;
    this.server.setSecureContext({ key: this.renewed.key, cert: this.renewed.cert });
    this.state.daysLeft = 90;
    this.state.certName = this.hostname;
    this.state.renewals++;
    return true;
  }

  /**
   * `ghe-ssl-acme`: `-s` status (the field-report format of the seed guide), `-e` request and enable
   * a Let's Encrypt certificate (`-v` verbose), `-x` clear the ACME settings, `-d` disable. The
   * `-e` and `-x` messages are plausible, not GitHub's exact text.
   */
  command(): CommandSpec {
    const { state, hostname } = this;
    const install = (): boolean => this.install();
    return {
      name: 'ghe-ssl-acme',
      description:
        "Let's Encrypt (ACME) certificates: -s status, -e enable/request, -x clear, -d disable, -v verbose.",
      *run(ctx) {
        const flags = new Set(ctx.args);
        const known = ['-s', '-e', '-x', '-d', '-v'];
        const unknown = ctx.args.find((a) => !known.includes(a));
        if (unknown || flags.size === 0) {
          ctx.printErr(
            `Usage: ghe-ssl-acme [-e|-d|-x|-s] [-v]${unknown ? ` (unknown option ${unknown})` : ''}`,
          );
          return 1;
        }
        const s = state;
        if (flags.has('-s')) {
          ctx.print(
            'SSL enabled:           true',
            `Active certificate CA: ${s.acmeEnabled && !s.cleared ? "Let's Encrypt" : 'custom'}`,
            `ACME enabled:          ${s.acmeEnabled && !s.cleared}`,
            `ACME provider:         ${s.cleared ? '' : 'letsencrypt'}`,
            `ACME ToS accepted:     ${!s.cleared}`,
            'ACME Contact E-mail:',
            `ACME Account Key:      ${s.cleared ? '(not set)' : '(key is set; retrieve with `ghe-config "secrets.acme.account-key"`)'}`,
            `ACME CA conf string:   ${s.cleared ? '(not set)' : '(CA conf is set; retrieve with `ghe-config "github-ssl.acme.ca-conf"`)'}`,
          );
          return 0;
        }
        if (flags.has('-x')) {
          s.cleared = true;
          ctx.print('Cleared the ACME configuration (account key, CA conf string, provider).');
          return 0;
        }
        if (flags.has('-d')) {
          s.acmeEnabled = false;
          ctx.print('ACME disabled; the current certificate stays installed.');
          return 0;
        }
        const verbose = flags.has('-v');
        ctx.print(`Requesting a certificate from Let's Encrypt for ${hostname} ...`);
        if (verbose)
          ctx.print(
            `  | Registering the ACME account ...`,
            `  | Serving the http-01 challenge on http://${hostname}/.well-known/acme-challenge/`,
          );
        yield 60;
        if (s.renewalFails === true || (s.renewalFails === 'until-cleared' && !s.cleared)) {
          ctx.printErr(
            `Error: ACME http-01 challenge for ${hostname} failed: Let's Encrypt could not connect to ${hostname}:80 (Timeout during connect (likely firewall problem)).`,
            'The certificate was not changed.',
          );
          return 1;
        }
        s.acmeEnabled = true;
        s.cleared = false;
        ctx.print('Certificate issued; applying the configuration ...');
        yield 30;
        if (!install()) {
          ctx.printErr('Error: the HTTPS endpoint is not running; the certificate could not be installed.');
          return 1;
        }
        ctx.print(`Success: the Let's Encrypt certificate for ${hostname} is installed.`);
        return 0;
      },
    };
  }
}

/** The scenario's certificate and ACME state. */
export function tlsScenario(on: Set<string>, hostname: string): TlsScenario {
  if (on.has('tls-expires-soon'))
    return { daysLeft: 15, certName: hostname, acmeEnabled: true, renewalFails: false };
  if (on.has('tls-renewal-fails'))
    return { daysLeft: 15, certName: hostname, acmeEnabled: true, renewalFails: true };
  if (on.has('tls-acme-stale'))
    return { daysLeft: 15, certName: hostname, acmeEnabled: true, renewalFails: 'until-cleared' };
  if (on.has('tls-expired'))
    return { daysLeft: -3, certName: hostname, acmeEnabled: false, renewalFails: false };
  if (on.has('tls-wrong-hostname'))
    return { daysLeft: 60, certName: 'ghes-old.example.com', acmeEnabled: true, renewalFails: false };
  return { daysLeft: 75, certName: hostname, acmeEnabled: true, renewalFails: false };
}
