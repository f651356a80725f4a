import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { nodeNet } from '../runtime/builtins.js';
import { InvalidCredentials, ReadTimeout, SmtpHostIssue } from '../service-desk/custom-email/errors.js';
import type { OutgoingMail, SentMail } from './mailer.js';
import { toNodemailerMessage } from './nodemailer-message.js';
import type { SmtpAuthMethod, SmtpServerSettings, SmtpSubmission } from './smtp-submission.js';

export interface NodemailerSmtpSubmissionOptions {
  /** Seconds to establish the connection (TCP, and TLS on port 465). Default 7. */
  connectionTimeoutSeconds?: number;
}

const DEFAULT_TIMEOUT_SECONDS = 7;

const NODEMAILER_METHOD: Record<SmtpAuthMethod, string | undefined> = {
  plain: 'PLAIN',
  login: 'LOGIN',
  'cram-md5': 'CRAM-MD5',
  auto: undefined,
};

/** 127.0.0.0/8, ::1 and `localhost`: the only hosts where a plaintext session is allowed. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return nodeNet().isIP(h) === 4 && h.startsWith('127.');
}

/**
 * The TLS rule: port 465 is TLS from the first byte (implicit TLS); every other port must upgrade
 * with STARTTLS (`requireTLS`), except on a loopback host, where plaintext is allowed (the sandbox
 * mail provider). Certificates are always verified.
 */
export function tlsMode(host: string, port: number): { secure: boolean; requireTLS: boolean } {
  if (port === 465) return { secure: true, requireTLS: false };
  return { secure: false, requireTLS: !isLoopbackHost(host) };
}

/**
 * `SmtpSubmission` over nodemailer: one connection per message to the customer's SMTP server, with
 * their credentials (the custom email verification mail). Failures become `SmtpHostIssue`,
 * `InvalidCredentials` or `ReadTimeout`, whose messages say what to fix and never hold the password
 * (it is scrubbed from the server's text too, plain and base64-encoded).
 */
export class NodemailerSmtpSubmission implements SmtpSubmission {
  constructor(private readonly opts: NodemailerSmtpSubmissionOptions = {}) {}

  async send(
    server: SmtpServerSettings,
    mail: OutgoingMail,
    opts: { readTimeoutSeconds?: number } = {},
  ): Promise<SentMail> {
    // A header with CR/LF is a bug of the caller (InputValidationError), not the customer's server.
    const message = toNodemailerMessage(mail);
    const readTimeout = (opts.readTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    const method = NODEMAILER_METHOD[server.authMethod];
    const options: SMTPTransport.Options & { forceAuth: boolean } = {
      host: server.host,
      port: server.port,
      ...tlsMode(server.host, server.port),
      auth: { user: server.username, pass: server.password },
      ...(method ? { authMethod: method } : {}),
      // Log in even when the server does not advertise AUTH: never send unauthenticated.
      forceAuth: true,
      connectionTimeout: (this.opts.connectionTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
      greetingTimeout: readTimeout,
      socketTimeout: readTimeout,
      logger: false,
      debug: false,
    };
    const transport = nodemailer.createTransport(options);
    try {
      const info = await transport.sendMail(message);
      if (!info.messageId)
        throw new SmtpHostIssue(
          `The SMTP server ${server.host}:${server.port} accepted the message but no message id came back.`,
          { host: server.host, port: server.port },
        );
      return { messageId: info.messageId };
    } catch (err) {
      if (err instanceof SmtpHostIssue) throw err;
      throw smtpFailure(err, server, {
        readSeconds: readTimeout / 1000,
        connectSeconds: this.opts.connectionTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      });
    } finally {
      transport.close();
    }
  }
}

interface NodemailerError {
  message?: string;
  code?: string;
  originalCode?: string;
  responseCode?: number;
  command?: string;
  timeoutType?: string;
}

/** The password as the server might echo it: as typed, base64, and inside an AUTH PLAIN blob. */
function secretForms(server: SmtpServerSettings): string[] {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  const pass = server.password;
  if (!pass) return [];
  return [
    b64(`\0${server.username}\0${pass}`),
    b64(`${server.username}\0${server.username}\0${pass}`),
    b64(pass),
    pass,
  ];
}

/** `text` with every form of the password replaced by `****`. */
export function scrubSecret(text: string, server: SmtpServerSettings): string {
  let out = text;
  for (const secret of secretForms(server)) out = out.split(secret).join('****');
  return out;
}

/** Maps a nodemailer error to the verification's named errors. */
function smtpFailure(
  err: unknown,
  server: SmtpServerSettings,
  timeouts: { readSeconds: number; connectSeconds: number } = {
    readSeconds: DEFAULT_TIMEOUT_SECONDS,
    connectSeconds: DEFAULT_TIMEOUT_SECONDS,
  },
): SmtpHostIssue | InvalidCredentials | ReadTimeout {
  const e = (err ?? {}) as NodemailerError;
  const where = `${server.host}:${server.port}`;
  const said = scrubSecret(e.message ?? String(err), server).slice(0, 500);
  const details: Record<string, unknown> = {
    host: server.host,
    port: server.port,
    authMethod: server.authMethod,
    ...(e.code ? { code: e.code } : {}),
    ...(e.originalCode ? { originalCode: e.originalCode } : {}),
    ...(e.responseCode ? { responseCode: e.responseCode } : {}),
    ...(e.command ? { command: e.command } : {}),
  };
  const again = 'then set them again with `ghes-ops desk email set` and rerun the verification.';

  if (e.code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 534) {
    return new InvalidCredentials(
      `The SMTP server ${where} refused the login of ${server.username} (auth method ${server.authMethod}): ${said}. ` +
        `Check the username and password (an app password may be needed when the account uses two-step sign-in) ` +
        `and the authentication method (auto picks what the server offers), ${again}`,
      details,
    );
  }
  if (
    e.code === 'ETIMEDOUT' &&
    (e.timeoutType === 'GREETING_TIMEOUT' || e.timeoutType === 'SOCKET_TIMEOUT')
  ) {
    return new ReadTimeout(
      `The SMTP server ${where} accepted the connection but did not answer within ${timeouts.readSeconds} s. ` +
        `Check that port ${server.port} is the provider's SMTP submission port (587 with STARTTLS, 465 with TLS), ` +
        `not a port that expects another protocol, and that the server is not overloaded; then rerun the verification.`,
      details,
    );
  }
  let fix: string;
  if (e.code === 'ETIMEDOUT')
    fix = `No connection within ${timeouts.connectSeconds} s: check the host name and port, and that a firewall lets this service reach it.`;
  else if (e.code === 'EDNS' || e.originalCode === 'ENOTFOUND' || e.originalCode === 'EAI_AGAIN')
    fix = `The host name ${server.host} does not resolve: check the SMTP host setting.`;
  else if (e.originalCode === 'ECONNREFUSED')
    fix = `Nothing accepts connections on ${where}: check the host and port (587 with STARTTLS, 465 with TLS).`;
  else if (e.code === 'ETLS' || /certificate|self[- ]signed|TLS|SSL/i.test(said))
    fix =
      `TLS failed. On port 465 the server must speak TLS from the start; on any other port it must offer STARTTLS ` +
      `(plaintext is refused). Its certificate must be valid for ${server.host}.`;
  else if (e.code === 'EENVELOPE' && e.command === 'MAIL FROM')
    fix = `The server refused the sender: check that ${server.username} may send as the custom address.`;
  else if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')
    fix = `The server refused the message: check the provider's sending limits and policies for the custom address.`;
  else fix = `Check the SMTP host and port and that the server is reachable.`;
  return new SmtpHostIssue(
    `Sending through the SMTP server ${where} failed: ${said}. ${fix} Then rerun the verification.`,
    details,
  );
}
