import { afterEach, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { S3RawMailStore, RawMailUnavailable } from '../../shared/aws/s3-raw-mail.js';
import { parseSesEvent } from '../../shared/service-desk/ses-event.js';
import { bucketAttachments } from '../../shared/service-desk/desk-factory.js';
import { ServiceDesk } from '../../shared/service-desk/desk.js';
import type { TicketRepository } from '../../shared/service-desk/tickets.js';
import { createLogger } from '../../shared/logger.js';
import { JournalRecordStore } from '../../local/adapters/journal-record-store.js';
import { OutboxMailer } from '../../local/adapters/outbox-mailer.js';
import { ConfigError, InputValidationError } from '../../shared/errors.js';
import { ROOT } from '../helpers/local-world.js';
import { desk as deskConfig } from './helpers.js';

const s3 = mockClient(S3Client);
afterEach(() => {
  s3.reset();
});
const raw = readFileSync(path.join(ROOT, 'tests/fixtures/email/utf8-plain.eml'));

describe('SES receipt event and the S3 raw message', () => {
  it('reads the object the S3 action stored, with exactly one GetObject', async () => {
    s3.on(GetObjectCommand).resolves({
      ContentLength: raw.length,
      Body: { transformToByteArray: async () => new Uint8Array(raw) } as never,
    });
    const store = new S3RawMailStore(new S3Client({ region: 'us-east-1' }));
    const got = await store.get('mail-bucket', 'inbound/abc123');
    expect(Buffer.from(got).equals(raw)).toBe(true);
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'mail-bucket', Key: 'inbound/abc123' },
    ]);
  });

  it('keeps attachments under attachments/ with one PutObject each, and says where on the ticket', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = new S3RawMailStore(new S3Client({ region: 'us-east-1' }));
    const sink = bucketAttachments(store, 'mail-bucket');
    const content = new Uint8Array([1, 2, 3]);
    const where = await sink.save('acme/support-tickets/msg-1', {
      name: '../app log.txt',
      size: 3,
      mimeType: 'text/plain',
      content,
    });
    expect(where).toBe('s3://mail-bucket/attachments/acme/support-tickets/msg-1/.._app_log.txt');
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'mail-bucket',
        Key: 'attachments/acme/support-tickets/msg-1/.._app_log.txt',
        Body: content,
        ContentType: 'text/plain',
      },
    ]);
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(sink.save('t', { name: 'a', size: 0, mimeType: '', content })).rejects.toThrow(
      /s3:PutObject under attachments/,
    );
  });

  it('refuses an oversize object and explains a missing one', async () => {
    s3.on(GetObjectCommand)
      .resolvesOnce({ ContentLength: 50 * 1024 * 1024 })
      .rejectsOnce(Object.assign(new Error('gone'), { name: 'NoSuchKey' }));
    const store = new S3RawMailStore(new S3Client({ region: 'us-east-1' }));
    await expect(store.get('b', 'inbound/x')).rejects.toThrow(RawMailUnavailable);
    await expect(store.get('b', 'inbound/y')).rejects.toThrow(/NoSuchKey/);
  });

  it('parses the receipt records: message id, recipients and the five verdicts', () => {
    const event = {
      Records: [
        {
          ses: {
            mail: { messageId: 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1', source: 'a@example.com' },
            receipt: {
              recipients: ['support+acme-support-1-issue-@desk.example.com'],
              spamVerdict: { status: 'PASS' },
              virusVerdict: { status: 'PASS' },
              spfVerdict: { status: 'PASS' },
              dkimVerdict: { status: 'GRAY' },
              dmarcVerdict: { status: 'FAIL' },
            },
          },
        },
      ],
    };
    expect(parseSesEvent(event)).toEqual([
      {
        messageId: 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1',
        recipients: ['support+acme-support-1-issue-@desk.example.com'],
        verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'GRAY', dmarc: 'FAIL' },
      },
    ]);
    expect(() => parseSesEvent({})).toThrow(InputValidationError);
    expect(() => parseSesEvent({ Records: [{ ses: { mail: { messageId: '../x' } } }] })).toThrow(
      InputValidationError,
    );
  });

  it('refuses to create tickets in a public repository', async () => {
    const tickets = {
      visibility: async () => 'public',
      createIssue: async () => ({}),
    } as unknown as TicketRepository;
    const desk = new ServiceDesk({
      config: deskConfig,
      tickets,
      records: new JournalRecordStore({ now: () => Date.now() }),
      mailer: new OutboxMailer(),
      log: createLogger({ write: () => undefined }),
      now: () => Date.now(),
    });
    await expect(desk.ingest({ raw })).rejects.toThrow(ConfigError);
    // The claim was released: a retry after the fix is processed again, not ignored.
    await expect(desk.ingest({ raw })).rejects.toThrow(/not private/);
  });
});
