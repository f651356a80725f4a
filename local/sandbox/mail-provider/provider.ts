import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { Logger } from '../../../shared/logger.js';
import { newVerificationToken } from '../../../shared/service-desk/custom-email/settings.js';
import type { Verdicts } from '../../../shared/service-desk/filter.js';
import type { SmtpEnvelopeInfo } from '../../service-desk.js';
import type { MailProviderBehaviour } from './scenarios.js';

/** The sandbox's custom email address and its SMTP login (a sandbox value, not a secret). */
export const DEFAULT_CUSTOM_EMAIL = {
  address: 'support@acme.localhost',
  username: 'support@acme.localhost',
  password: 'sandbox-smtp-password-not-secret',
  authMethod: 'auto',
} as const;

export interface SandboxMailProviderOptions {
  behaviour: MailProviderBehaviour;
  /** The local service desk's SMTP server (LocalServiceDesk, after `start()`), where forwards go. */
  deskSmtp: { host: string; port: number } | (() => { host: string; port: number });
  /** The project's service desk address: the correct forwarding target. */
  deskAddress: string;
  /** Where `wrong-target` forwards. Default: the desk's address without a key (`support@desk.localhost`). */
  otherDeskAddress?: string;
  /** The custom address this provider hosts. Default `support@acme.localhost`. */
  address?: string;
  /** SMTP login. Default: the address. */
  username?: string;
  /** SMTP password. Default `DEFAULT_CUSTOM_EMAIL.password`. */
  password?: string;
  /** Where to listen. Default 127.0.0.1 and an ephemeral port. */
  host?: string;
  port?: number;
  log?: Logger;
}

const SPAM_VIRUS_PASS = { spam: 'PASS', virus: 'PASS' } as const;

/**
 * The custom domain's mail provider, simulated on loopback: an SMTP submission server with AUTH
 * (PLAIN, LOGIN, CRAM-MD5; plaintext, loopback only) hosting one mailbox, the custom address, that
 * forwards what it receives to the service desk the way a real forwarder does: envelope rewritten
 * (MAIL FROM `forwarder@<domain>`, RCPT the desk address), `Delivered-To`, `X-Forwarded-To` and
 * `X-Forwarded-For` added, the message otherwise untouched. Each behaviour is one way a real setup
 * goes wrong (see scenarios.ts). Forwarding happens after the 250 answer, like a real provider.
 */
export class SandboxMailProvider {
  /** Raw messages forwarded to the desk, as sent (tests). */
  readonly forwarded: string[] = [];
  readonly behaviour: MailProviderBehaviour;
  readonly address: string;
  readonly domain: string;
  /** The envelope sender of every forward; `verdictsFor` vouches only for mail from it. */
  readonly returnPath: string;
  private readonly username: string;
  private readonly password: string;
  private smtp: SMTPServer | undefined;
  private silent: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly inflight = new Set<Promise<void>>();
  private listening: { host: string; port: number } | undefined;

  constructor(private readonly o: SandboxMailProviderOptions) {
    this.behaviour = o.behaviour;
    this.address = (o.address ?? DEFAULT_CUSTOM_EMAIL.address).toLowerCase();
    this.domain = this.address.slice(this.address.lastIndexOf('@') + 1);
    this.username = o.username ?? this.address;
    this.password = o.password ?? DEFAULT_CUSTOM_EMAIL.password;
    this.returnPath = `forwarder@${this.domain}`;
  }

  /** Where the customer's SMTP settings must point. */
  get endpoint(): { host: string; port: number } {
    if (!this.listening) throw new Error('SandboxMailProvider: start() first');
    return this.listening;
  }

  async start(): Promise<{ host: string; port: number }> {
    const host = this.o.host ?? '127.0.0.1';
    if (this.behaviour === 'connection-refused') {
      // A port that was free a moment ago and that nothing listens on now.
      const port = this.o.port || (await freePort(host));
      this.listening = { host, port };
    } else if (this.behaviour === 'read-timeout') {
      this.silent = createServer((socket) => {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.sockets.delete(socket));
      });
      this.listening = { host, port: await listen(this.silent, host, this.o.port ?? 0) };
    } else {
      this.smtp = this.smtpServer();
      this.listening = { host, port: await listen(this.smtp.server, host, this.o.port ?? 0, this.smtp) };
    }
    this.o.log?.info('sandbox mail provider: listening', {
      ...this.listening,
      behaviour: this.behaviour,
      address: this.address,
    });
    return this.listening;
  }

  /**
   * The verdicts the service desk's receiving side (SES in AWS) gives a message, from its envelope:
   * PASS for this provider's forwards, SPF and DMARC FAIL (DKIM GRAY, unsigned) for `forged-from`;
   * `undefined` for mail this provider did not forward.
   */
  verdictsFor(
    envelope: Pick<SmtpEnvelopeInfo, 'mailFrom'> & Partial<SmtpEnvelopeInfo>,
  ): Verdicts | undefined {
    if (envelope.mailFrom?.toLowerCase() !== this.returnPath) return undefined;
    if (this.behaviour === 'forged-from')
      return { spf: 'FAIL', dkim: 'GRAY', dmarc: 'FAIL', ...SPAM_VIRUS_PASS };
    return { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', ...SPAM_VIRUS_PASS };
  }

  /** Resolves when every accepted message has been forwarded (or its forward failed). */
  async settled(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  async close(): Promise<void> {
    await this.settled();
    for (const s of this.sockets) s.destroy();
    const silent = this.silent;
    if (silent) await new Promise<void>((r) => silent.close(() => r()));
    const smtp = this.smtp;
    if (smtp) await new Promise<void>((r) => smtp.close(() => r()));
    this.silent = undefined;
    this.smtp = undefined;
  }

  private smtpServer(): SMTPServer {
    const mailbox = (address: string): boolean => {
      const a = address.toLowerCase();
      const at = a.lastIndexOf('@');
      return a.slice(at + 1) === this.domain && a.slice(0, at).split('+')[0] === this.address.split('@')[0];
    };
    return new SMTPServer({
      name: `mail.${this.domain}`,
      banner: `sandbox mail provider for ${this.domain}`,
      authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
      // Plaintext AUTH on loopback only (the sandbox); a real provider requires TLS.
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      authOptional: false,
      size: 10 * 1024 * 1024,
      logger: false,
      onAuth: (auth, _session, callback) => {
        const userOk = (auth.username ?? '').toLowerCase() === this.username.toLowerCase();
        const passOk =
          auth.method === 'CRAM-MD5' ? auth.validatePassword(this.password) : auth.password === this.password;
        if (this.behaviour === 'rejects-credentials' || !userOk || !passOk) {
          this.o.log?.warn('sandbox mail provider: login refused', {
            method: auth.method,
            behaviour: this.behaviour,
          });
          return callback(
            Object.assign(new Error('5.7.8 Error: authentication failed: bad username or password'), {
              responseCode: 535,
            }),
          );
        }
        callback(null, { user: this.username });
      },
      onMailFrom: (from, _session, callback) => {
        if (from.address.toLowerCase() !== this.address)
          return callback(
            Object.assign(new Error(`5.7.1 <${from.address}>: Sender address rejected: not owned by user`), {
              responseCode: 553,
            }),
          );
        callback();
      },
      onRcptTo: (rcpt, _session, callback) => {
        if (!mailbox(rcpt.address))
          return callback(
            Object.assign(new Error(`5.1.1 <${rcpt.address}>: Recipient address rejected: not hosted here`), {
              responseCode: 550,
            }),
          );
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const rcpt = session.envelope.rcptTo.map((r) => r.address);
          callback();
          const job = this.forward(raw, rcpt[0] ?? this.address).finally(() => this.inflight.delete(job));
          this.inflight.add(job);
        });
      },
    });
  }

  private deskSmtp(): { host: string; port: number } {
    return typeof this.o.deskSmtp === 'function' ? this.o.deskSmtp() : this.o.deskSmtp;
  }

  private otherDeskAddress(): string {
    if (this.o.otherDeskAddress) return this.o.otherDeskAddress;
    const at = this.o.deskAddress.lastIndexOf('@');
    return `${this.o.deskAddress.slice(0, at).split('+')[0]}${this.o.deskAddress.slice(at)}`;
  }

  /** What a forwarder does with one received message, per behaviour. */
  private async forward(raw: string, deliveredTo: string): Promise<void> {
    if (this.behaviour === 'forwards-nothing') {
      this.o.log?.info('sandbox mail provider: received, not forwarded', { behaviour: this.behaviour });
      return;
    }
    const target = this.behaviour === 'wrong-target' ? this.otherDeskAddress() : this.o.deskAddress;
    let message = raw;
    if (this.behaviour === 'rewrites-from')
      message = replaceHeader(message, 'From', `Forwarder <${this.returnPath}>`);
    if (this.behaviour === 'wrong-token') message = withOtherToken(message);
    message =
      `Delivered-To: ${deliveredTo}\r\n` +
      `X-Forwarded-To: ${target}\r\n` +
      `X-Forwarded-For: ${this.address} ${target}\r\n` +
      message;
    const desk = this.deskSmtp();
    const transport = nodemailer.createTransport({
      host: desk.host,
      port: desk.port,
      secure: false,
      ignoreTLS: true,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    try {
      await transport.sendMail({ envelope: { from: this.returnPath, to: [target] }, raw: message });
      this.forwarded.push(message);
      this.o.log?.info('sandbox mail provider: forwarded', { to: target, behaviour: this.behaviour });
    } catch (e) {
      this.o.log?.error('sandbox mail provider: forward failed', {
        to: target,
        error: (e as Error).message,
      });
    } finally {
      transport.close();
    }
  }
}

function listen(server: Server, host: string, port: number, smtp?: SMTPServer): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const done = (): void => {
      if (smtp) smtp.removeListener('error', reject);
      else server.removeListener('error', reject);
      resolve((server.address() as AddressInfo).port);
    };
    if (smtp) {
      smtp.once('error', reject);
      smtp.listen(port, host, done);
    } else {
      server.once('error', reject);
      server.listen(port, host, done);
    }
  });
}

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  const port = await listen(probe, host, 0);
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** The header block and the body of a raw message (CRLF or LF line ends). */
function splitMessage(raw: string): { head: string; sep: string; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  if (!m) return { head: raw, sep: '', body: '' };
  return { head: raw.slice(0, m.index), sep: m[0], body: raw.slice(m.index + m[0].length) };
}

/** Header fields as whole (unfolded-aware) chunks: a line and its continuation lines. */
function headerFields(head: string): string[] {
  const fields: string[] = [];
  for (const line of head.split(/(?<=\n)/)) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  return fields;
}

/** `raw` with every `name` header field replaced by one `name: value` (a forwarder rewriting From). */
export function replaceHeader(raw: string, name: string, value: string): string {
  const { head, sep, body } = splitMessage(raw);
  const eol = head.includes('\r\n') ? '\r\n' : '\n';
  const lower = `${name.toLowerCase()}:`;
  let replaced = false;
  const fields = headerFields(head).flatMap((f) => {
    if (!f.toLowerCase().startsWith(lower)) return [f];
    if (replaced) return [];
    replaced = true;
    return [`${name}: ${value}${f.endsWith('\n') ? eol : ''}`];
  });
  if (!replaced) fields.unshift(`${name}: ${value}${eol}`);
  return fields.join('') + sep + body;
}

const TOKEN_LINE = /(Verification token: )([A-Za-z0-9_-]{12})/;

/**
 * The message as an older verification mail: its token replaced by another one. When the body
 * does not show the token line as plain text (base64), the body is replaced by a plain one.
 */
export function withOtherToken(raw: string): string {
  const other = (token: string): string => {
    let t = newVerificationToken();
    while (t === token) t = newVerificationToken();
    return t;
  };
  const m = TOKEN_LINE.exec(raw);
  if (m) return raw.replace(TOKEN_LINE, `$1${other(m[2]!)}`);
  const { head, sep } = splitMessage(raw);
  const eol = head.includes('\r\n') ? '\r\n' : '\n';
  const kept = headerFields(head).filter((f) => !/^(content-|mime-version:)/i.test(f));
  const last = kept.length ? kept[kept.length - 1]! : '';
  const headers = [
    ...kept.slice(0, -1),
    last.endsWith('\n') ? last : last + eol,
    `MIME-Version: 1.0${eol}`,
    `Content-Type: text/plain; charset=utf-8${eol}`,
    `Content-Transfer-Encoding: 7bit`,
  ].join('');
  return `${headers}${sep || eol + eol}An older verification mail.${eol}${eol}Verification token: ${other('')}${eol}`;
}
