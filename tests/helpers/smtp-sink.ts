import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  raw: string;
  /** Envelope sender (MAIL FROM), `false` for the null sender. */
  from: string | false;
  /** Envelope recipients (RCPT TO). */
  rcpt: string[];
  /** The authenticated user, when the client logged in. */
  user?: string;
}

export interface SmtpSink {
  server: SMTPServer;
  port: number;
  received: ReceivedMail[];
  close: () => Promise<void>;
}

/**
 * A loopback SMTP server on an ephemeral port that records every message it receives. AUTH is
 * optional and STARTTLS off unless `opts` says otherwise (`opts` override the defaults).
 */
export async function smtpSink(opts: Partial<SMTPServerOptions> = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          raw: Buffer.concat(chunks).toString('utf8'),
          from: session.envelope.mailFrom && session.envelope.mailFrom.address,
          rcpt: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
        });
        callback();
      });
    },
    ...opts,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
