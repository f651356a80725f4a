import { describe, expect, it } from '@jest/globals';
import { defaultConfig, mergeConfig } from '../../local/config.js';
import { ROOT } from '../helpers/local-world.js';
import { smtpSend, testDesk } from '../helpers/local-desk.js';

describe('desk settings from the local config reach the running desk', () => {
  it('a second project set in the config gets its tickets repository and its tickets', async () => {
    const config = mergeConfig(
      defaultConfig(ROOT),
      {
        local: {
          serviceDesk: {
            desk: {
              projects: [
                { slug: 'acme-support', id: 1, repo: 'acme/support-tickets', reopen: true },
                { slug: 'payments', id: 2, repo: 'acme/payments-tickets', reopen: false },
              ],
            },
          },
        },
      },
      'f.json',
    );
    const stack = await testDesk({
      settings: (s) => {
        s.desk = { ...config.local.serviceDesk.desk, publicUrl: s.desk.publicUrl };
      },
    });
    try {
      const raw = [
        'From: Alice Example <alice@example.com>',
        'To: Payments <support+payments-2-issue-@desk.localhost>',
        'Subject: Refund stuck',
        'Message-ID: <payments-1@example.com>',
        'Date: Mon, 1 Jan 2024 10:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The refund of order 42 is stuck.',
        '',
      ].join('\r\n');
      await smtpSend(
        stack.desk.smtpPort,
        { from: 'alice@example.com', to: 'support+payments-2-issue-@desk.localhost' },
        raw,
      );
      await stack.desk.settled();
      const tickets = stack.desk.issues.repo('acme/payments-tickets')?.issues ?? [];
      expect(tickets.map((i) => i.title)).toEqual(['Refund stuck']);
      expect(stack.desk.issues.repo('acme/support-tickets')?.issues ?? []).toEqual([]);
    } finally {
      await stack.close();
    }
  }, 30_000);

  it('takes the agent-side, SLA and survey settings as the Lambdas take them, and names a typo', () => {
    const config = mergeConfig(
      defaultConfig(ROOT),
      {
        local: {
          serviceDesk: {
            desk: {
              mailText: { systemFooter: 'ACME support, 09-18 KST' },
              nonParticipantReply: 'new-ticket',
              maxReplyAttachmentBytes: 1_048_576,
              sla: { rules: [{ label: 'p1', firstResponseMinutes: 30, nextResponseMinutes: 60 }] },
              satisfaction: { expiryDays: 7 },
            },
          },
        },
      },
      'f.json',
    );
    expect(config.local.serviceDesk.desk).toMatchObject({
      mailText: { systemFooter: 'ACME support, 09-18 KST' },
      nonParticipantReply: 'new-ticket',
      maxReplyAttachmentBytes: 1_048_576,
      sla: { rules: [{ label: 'p1', firstResponseMinutes: 30, nextResponseMinutes: 60 }] },
      satisfaction: { expiryDays: 7 },
    });
    expect(() =>
      mergeConfig(
        defaultConfig(ROOT),
        { local: { serviceDesk: { desk: { nonParticipantReplies: 'comment' } } } },
        'f.json',
      ),
    ).toThrow(/serviceDesk\.desk\.nonParticipantReplies is not a known service desk setting/);
  });
});
