import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { InputValidationError } from '../../shared/errors.js';
import type { OutgoingMail } from '../../shared/mail/mailer.js';
import { OutboxMailer } from '../../local/adapters/outbox-mailer.js';
import { failure } from '../helpers/failure.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ghes-ops-outbox-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mail: OutgoingMail = {
  from: 'ghes-ops <ghes-ops@example.com>',
  to: ['ops@example.com', 'oncall@example.com'],
  subject: 'Support bundle 1234567 uploaded',
  text: 'Uploaded in 4 min 12 s.',
  headers: { 'Auto-Submitted': 'auto-generated', 'In-Reply-To': '<req-1@example.com>' },
};

describe('OutboxMailer', () => {
  it('keeps sent messages in memory without a directory', async () => {
    const outbox = new OutboxMailer();
    const { messageId } = await outbox.send(mail);
    expect(messageId).toMatch(/^<[0-9a-f-]{36}@ghes-ops\.local>$/);
    expect(outbox.sent).toEqual([
      {
        messageId,
        from: 'ghes-ops <ghes-ops@example.com>',
        to: ['ops@example.com', 'oncall@example.com'],
        cc: [],
        subject: 'Support bundle 1234567 uploaded',
        text: 'Uploaded in 4 min 12 s.',
        headers: { 'Auto-Submitted': 'auto-generated', 'In-Reply-To': '<req-1@example.com>' },
        sentAt: expect.any(String),
      },
    ]);
    expect(outbox.last()?.messageId).toBe(messageId);
    outbox.clear();
    expect(outbox.sent).toHaveLength(0);
  });

  it('writes an RFC 5322 .eml file with CRLF line ends and the headers', async () => {
    const outbox = new OutboxMailer({ dir: join(dir, 'outbox') });
    const { messageId } = await outbox.send({
      ...mail,
      cc: ['audit@example.com'],
      replyTo: 'support@example.com',
      html: '<p>Uploaded</p>',
    });
    const second = await outbox.send({ ...mail, subject: 'Second' });

    const files = readdirSync(join(dir, 'outbox')).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT.*-0001-[0-9a-f]{8}\.eml$/);
    const entry = outbox.sent[0]!;
    expect(entry.file).toBe(join(dir, 'outbox', files[0]!));
    expect(entry.html).toBe('<p>Uploaded</p>');
    expect(entry.replyTo).toBe('support@example.com');
    expect(outbox.sent[1]?.messageId).toBe(second.messageId);
    expect(statSync(entry.file!).mode & 0o777).toBe(0o600);

    const raw = readFileSync(entry.file!, 'utf8');
    const split = raw.indexOf('\r\n\r\n');
    const head = raw.slice(0, split);
    const body = raw.slice(split + 4);
    expect(raw.replace(/\r\n/g, '')).not.toContain('\n');
    expect(head?.split('\r\n')).toEqual(
      expect.arrayContaining([
        'Auto-Submitted: auto-generated',
        'In-Reply-To: <req-1@example.com>',
        'From: "ghes-ops" <ghes-ops@example.com>',
        'To: ops@example.com, oncall@example.com',
        'Cc: audit@example.com',
        'Reply-To: support@example.com',
        'Subject: Support bundle 1234567 uploaded',
        `Message-ID: ${messageId}`,
        'MIME-Version: 1.0',
      ]),
    );
    expect(head).toMatch(/\r\nDate: /);
    expect(body).toContain('Uploaded in 4 min 12 s.');
  });

  it('refuses CR/LF in header values and records nothing', async () => {
    const outbox = new OutboxMailer({ dir });
    const err = await failure(outbox.send({ ...mail, headers: { 'X-Ref': 'a\nBcc: victim@example.com' } }));
    expect(err).toBeInstanceOf(InputValidationError);
    expect(err.message).toContain('headers.X-Ref');
    expect(err.message).not.toContain('victim');
    expect(outbox.sent).toHaveLength(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});
