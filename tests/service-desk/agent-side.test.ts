import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { OutboxMessage } from '../../local/adapters/outbox-mailer.js';
import type { SandboxIssue } from '../../local/sandbox/ghes/issues-api.js';
import type { DeskConfig } from '../../shared/service-desk/config.js';
import { smtpSend, testDesk, type TestDesk } from '../helpers/local-desk.js';

/**
 * The agent side end to end on the local stack: mail in over SMTP (the SES stand-in), the agent
 * comments through the sandbox GHES API as a person would, GHES delivers the signed webhook to
 * the desk's HTTP API (serviceDeskHttp), mail out lands in the outbox.
 */
let stack: TestDesk;
let agentToken = '';
const REPO = 'acme/support-tickets';
const TO = 'support+acme-support-1-issue-@desk.localhost';

const desk = (): DeskConfig => stack.world.config.serviceDesk!.desk;
const repo = () => stack.desk.issues.repo(REPO)!;
const issue = (n: number): SandboxIssue => repo().issues[n - 1]!;
const outbox = (): OutboxMessage[] => stack.outbox.sent;

let seq = 0;
async function mail(o: {
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
  headers?: string[];
}): Promise<void> {
  const to = o.to ?? TO;
  const raw = [
    `From: ${o.from ?? 'Alice <alice@example.com>'}`,
    `To: ${to}`,
    `Subject: ${o.subject ?? 'Printer on fire'}`,
    `Message-ID: <agent-${++seq}-${Date.now()}@example.com>`,
    ...(o.headers ?? []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body ?? 'The printer on floor 3 is on fire.',
    '',
  ].join('\r\n');
  await smtpSend(stack.desk.smtpPort, { from: 'x@example.com', to }, raw);
  await stack.desk.settled();
}

/** A GHES API call as the agent `mona` (a person with a token), then every webhook it caused. */
async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.desk.ghes.apiUrl}/repos/${REPO}${path}`, {
    method,
    headers: { authorization: `token ${agentToken}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  expect(res.status).toBeLessThan(300);
  const out = (await res.json()) as Record<string, unknown>;
  await stack.desk.settled();
  return out;
}
const comment = (n: number, body: string) => api('POST', `/issues/${n}/comments`, { body });
const lastComment = (n: number): string => issue(n).comments.at(-1)?.body ?? '';
const newMail = (from: number): OutboxMessage[] => outbox().slice(from);
const latestTicket = (): number => repo().issues.length;

beforeAll(async () => {
  stack = await testDesk();
  agentToken = stack.desk.ghes.issueToken('mona', ['repo']);
});
afterAll(() => stack.close());
beforeEach(() => {
  // Each test sets what it needs; the desk reads its configuration at every invocation.
  const d = desk();
  d.projects[0]!.closedMail = false;
  d.nonParticipantReply = 'comment';
  d.mailText = {};
  d.maxReplyAttachmentBytes = 10 * 1024 * 1024;
});

describe('quick actions in team comments (through the sandbox GHES webhook)', () => {
  it('/add_email adds and mails participants, /reply reaches them, one acknowledgement comment', async () => {
    await mail({});
    const n = latestTicket();
    const before = outbox().length;
    await comment(n, '/add_email bob@example.com, Carol@Example.com\n/reply We are on it.');
    const sent = newMail(before);
    expect(sent.filter((m) => /You have been added/.test(m.text)).map((m) => m.to[0])).toEqual([
      'bob@example.com',
      'carol@example.com',
    ]);
    expect(
      sent
        .filter((m) => m.text.includes('We are on it.'))
        .map((m) => m.to[0])
        .sort(),
    ).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    const ack = lastComment(n);
    expect(ack).toMatch(/^\*\*Service desk\*\* \(quick actions\)/);
    expect(ack).toContain('added bob@example.com, carol@example.com (2 mailed the new-participant message)');
    expect(ack).toContain('mailed to 3 participant(s)');
    // The acknowledgement never carries a reply key (the participants' secret).
    const keys = sent.map((m) => /\+([0-9a-f]{32})@/.exec(m.replyTo ?? '')?.[1]).filter(Boolean);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys)
      expect(
        issue(n)
          .comments.map((c) => c.body)
          .join('\n'),
      ).not.toContain(k!);
    // The desk's own comment went through the webhook too, as an internal comment.
    // (in either order: it is delivered while the agent's comment is handled).
    const last = stack.desk.issues.deliveries.slice(-2);
    expect(last.map((d) => `${d.event} ${d.status}`).sort()).toEqual([
      'issue_comment 200',
      'issue_comment 202',
    ]);
  });

  it('refuses bad addresses, the desk itself, over 6 per command and over 10 per ticket, mailing nobody', async () => {
    await mail({ subject: 'Limits' });
    const n = latestTicket();
    const before = outbox().length;
    await comment(n, '/add_email not-an-address');
    expect(lastComment(n)).toContain('refused: not a plain email address: not-an-address');
    await comment(n, '/add_email support@desk.localhost');
    expect(lastComment(n)).toMatch(/refused: support@desk\.localhost is on the service desk's own domain/);
    const seven = Array.from({ length: 7 }, (_, i) => `p${i}@example.com`).join(' ');
    await comment(n, `/add_email ${seven}`);
    expect(lastComment(n)).toContain('refused: 7 addresses given; at most 6 per command');
    expect(newMail(before)).toHaveLength(0);
    await comment(n, `/add_email ${Array.from({ length: 6 }, (_, i) => `q${i}@example.com`).join(' ')}`);
    await comment(n, '/add_email r0@example.com r1@example.com r2@example.com r3@example.com');
    expect(lastComment(n)).toContain(
      'refused: the ticket has 7 external participants and takes at most 10 (room for 3); nobody was added',
    );
    await comment(n, '/add_email q0@example.com');
    expect(lastComment(n)).toContain('already participants: q0@example.com');
    expect(newMail(before).map((m) => m.to[0])).toEqual(
      Array.from({ length: 6 }, (_, i) => `q${i}@example.com`),
    );
  });

  it('/remove_email stops mail to them; a later reply of theirs is a non-participant comment', async () => {
    await mail({ subject: 'Remove me', headers: ['Cc: bob@example.com'] });
    const n = latestTicket();
    const bobKey = /\+([0-9a-f]{32})@/.exec(
      outbox()
        .filter((m) => m.to[0] === 'bob@example.com')
        .at(-1)!.replyTo!,
    )![1]!;
    await comment(n, '/remove_email bob@example.com dave@example.com');
    expect(lastComment(n)).toContain(
      'removed bob@example.com (they get no more mail about this ticket); not participants: dave@example.com',
    );
    const before = outbox().length;
    await comment(n, '/reply Fixed.');
    expect(newMail(before).map((m) => m.to[0])).toEqual(['alice@example.com']);
    await comment(n, '/remove_email dave@example.com');
    expect(lastComment(n)).toContain('refused: not participants: dave@example.com');
    await mail({ from: 'bob@example.com', to: `support+${bobKey}@desk.localhost`, body: 'Me again.' });
    expect(issue(n).comments.at(-1)?.body).toMatch(
      /^\*\*bob@example\.com\*\* \(not a participant\) replied by email/,
    );
  });

  it('/convert_to_ticket turns a regular issue into a ticket; refused when already one, with two addresses, or on other commands', async () => {
    const created = await api('POST', '/issues', {
      title: 'Customer called: VPN down',
      body: 'Dave from Example Corp says the VPN is down since 9:00.',
    });
    const n = created.number as number;
    const before = outbox().length;
    await comment(n, '/add_email x@example.com');
    expect(lastComment(n)).toContain(
      'refused: this issue is not a service desk ticket (make it one with /convert_to_ticket',
    );
    await comment(n, '/close');
    expect(issue(n).state).toBe('open');
    await comment(n, '/convert_to_ticket dave@example.com erin@example.com');
    expect(lastComment(n)).toContain(
      "refused: 2 addresses given; at most 1 per command (give the requester's one address)",
    );
    expect(newMail(before)).toHaveLength(0);
    await comment(n, '/convert_to_ticket dave@example.com');
    expect(lastComment(n)).toContain(
      'this issue is now a service desk ticket with requester dave@example.com',
    );
    expect(issue(n).labels).toContain('service-desk');
    const [added] = newMail(before);
    expect(added?.to).toEqual(['dave@example.com']);
    expect(added?.subject).toBe(`Re: Customer called: VPN down (#${n})`);
    // %{ISSUE_DESCRIPTION} is the issue's description (GitLab's meaning), not its title.
    expect(added?.text).toContain('Dave from Example Corp says the VPN is down since 9:00.');
    await comment(n, '/convert_to_ticket dave@example.com');
    expect(lastComment(n)).toContain('refused: this issue is already a service desk ticket');
    await comment(n, '/reply Restarted the VPN.');
    expect(outbox().at(-1)).toMatchObject({ to: ['dave@example.com'] });
    expect(outbox().at(-1)?.text).toContain('Restarted the VPN.');
  });

  it('/close closes and mails `closed` once when the project opted in (the issues webhook it causes mails nothing more); off: nothing', async () => {
    await mail({ subject: 'Close me' });
    const n = latestTicket();
    let before = outbox().length;
    await comment(n, '/close');
    expect(issue(n).state).toBe('closed');
    expect(lastComment(n)).toContain(
      'closed (nothing mailed: the project does not mail on close, closedMail is off)',
    );
    expect(newMail(before)).toHaveLength(0);
    desk().projects[0]!.closedMail = true;
    await api('PATCH', `/issues/${n}`, { state: 'open' });
    before = outbox().length;
    await comment(n, '/close');
    expect(stack.desk.issues.deliveries.filter((d) => d.event === 'issues').at(-1)).toMatchObject({
      status: 200,
    });
    expect(newMail(before).map((m) => [m.to[0], /was closed/.test(m.text)])).toEqual([
      ['alice@example.com', true],
    ]);
    // Whichever of `/close` and the closing's webhook comes first mails; the other does not.
    expect(lastComment(n)).toMatch(
      /closed; (1 mailed the closed message|the closed message went out with the closing webhook)/,
    );
    await comment(n, '/close');
    expect(lastComment(n)).toContain('already closed; nothing mailed');
    // Closing in the GHES UI (the issues webhook) mails once per closing too.
    await api('PATCH', `/issues/${n}`, { state: 'open' });
    before = outbox().length;
    await api('PATCH', `/issues/${n}`, { state: 'closed' });
    expect(newMail(before).map((m) => m.to[0])).toEqual(['alice@example.com']);
  });

  it('a comment that only mentions a command, or starts with a path, stays internal', async () => {
    await mail({ subject: 'Internal' });
    const n = latestTicket();
    const before = outbox().length;
    const comments = issue(n).comments.length;
    await comment(n, 'Should we /close this?\n/reply no');
    await comment(n, '/etc/hosts was edited\n/close');
    expect(newMail(before)).toHaveLength(0);
    expect(issue(n).comments).toHaveLength(comments + 2);
    expect(issue(n).state).toBe('open');
  });
});

describe('templates with GitLab meaning', () => {
  it('%{ISSUE_DESCRIPTION} is the description; header, footer and additional text per desk, overridden per project', async () => {
    desk().mailText = {
      systemHeader: 'ACME Support (header)',
      systemFooter: 'ACME Corp, Seoul (footer)',
      additionalText: 'Office hours: 9-18 KST.',
    };
    desk().projects[0]!.mailText = { additionalText: 'Project text wins.' };
    try {
      const before = outbox().length;
      await mail({ subject: 'Texts', body: 'My screen is blank.', headers: ['Cc: bob@example.com'] });
      const [thanks, added] = newMail(before);
      expect(thanks?.text).toMatch(
        /ACME Support \(header\)[\s\S]*Thank you[\s\S]*Project text wins\.[\s\S]*ACME Corp, Seoul \(footer\)/,
      );
      expect(thanks?.text).not.toContain('Office hours');
      expect(added?.text).toContain('My screen is blank.');
      expect(added?.text).not.toMatch(/You have been added[^\n]*\n\nTexts\n/);
      expect(added?.html).toContain('<p>ACME Support (header)</p>');
    } finally {
      delete desk().projects[0]!.mailText;
    }
  });
});

describe('attachments in replies', () => {
  it('attaches files up to the limit, links larger ones, refused types and missing files; never fetches another host', async () => {
    desk().maxReplyAttachmentBytes = 4096;
    await mail({ subject: 'Files' });
    const n = latestTicket();
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(1000, 1)]);
    const shot = stack.desk.issues.upload(REPO, 'shot.png', png, 'image/png');
    const small = stack.desk.issues.upload(REPO, 'notes.txt', Buffer.from('step 1\nstep 2\n'), 'text/plain');
    const korean = stack.desk.issues.upload(REPO, '보고서.txt', Buffer.from('보고'), 'text/plain');
    const big = stack.desk.issues.upload(REPO, 'dump.log', Buffer.alloc(5000, 'x'), 'text/plain');
    const exe = stack.desk.issues.upload(REPO, 'fix.exe', Buffer.from('MZ'), 'application/octet-stream');
    const gone = `${stack.desk.ghes.url}/user-attachments/assets/00000000-0000-4000-8000-000000000000`;
    const elsewhere = 'http://127.0.0.1:9/user-attachments/assets/11111111-1111-4111-8111-111111111111';
    const before = outbox().length;
    await comment(
      n,
      [
        '/reply Here is what we found.',
        '',
        `![shot.png](${shot})`,
        `[notes.txt](${small}) and [dump.log](${big}), [report](${korean})`,
        `<img width="300" alt="x" src="${shot}">`,
        `[fix.exe](${exe}) [gone](${gone}) [elsewhere](${elsewhere})`,
      ].join('\n'),
    );
    const [m] = newMail(before);
    expect(m?.attachments).toEqual([
      { filename: 'shot.png', contentType: 'image/png', size: png.length },
      { filename: 'notes.txt', contentType: 'text/plain', size: 14 },
      { filename: '보고서.txt', contentType: 'text/plain', size: 6 },
    ]);
    expect(m?.text).toContain(`- dump.log (over 4 KB): ${big}`);
    expect(m?.text).toContain(`- fix.exe (a file type mail servers refuse): ${exe}`);
    expect(m?.text).toContain(`- gone (not found on GHES): ${gone}`);
    expect(m?.text).not.toMatch(/elsewhere \(/);
    expect(lastComment(n)).toContain('attached shot.png, notes.txt, 보고서.txt');
    expect(lastComment(n)).toContain('linked dump.log (over 4 KB)');
  });
});

describe('replies from someone who is not a participant', () => {
  const replyKeyOf = (to: string): string =>
    /\+([0-9a-f]{32})@/.exec(
      outbox()
        .filter((m) => m.to[0] === to)
        .at(-1)!.replyTo!,
    )![1]!;

  it('default `comment`: on the ticket, marked, not added, nobody they Cc added, mailed nothing', async () => {
    await mail({ subject: 'Forwarded' });
    const n = latestTicket();
    const key = replyKeyOf('alice@example.com');
    const before = outbox().length;
    await mail({
      from: 'Eve <eve@example.com>',
      to: `support+${key}@desk.localhost`,
      body: 'Alice forwarded me this.',
      headers: ['Cc: mallory@example.com'],
    });
    expect(issue(n).comments.at(-1)?.body).toMatch(
      /^\*\*Eve \(eve@example\.com\)\*\* \(not a participant\) replied by email:\n\nAlice forwarded me this\./,
    );
    expect(issue(n).comments.at(-1)?.body).toContain('they were not added and get no mail');
    await comment(n, '/reply Thanks.');
    expect(newMail(before).map((m) => m.to[0])).toEqual(['alice@example.com']);
  });

  it('`comment-and-add` adds them; `new-ticket` opens a ticket of their own', async () => {
    await mail({ subject: 'Policy' });
    const n = latestTicket();
    const key = replyKeyOf('alice@example.com');
    desk().nonParticipantReply = 'comment-and-add';
    let before = outbox().length;
    await mail({ from: 'frank@example.com', to: `support+${key}@desk.localhost`, body: 'Frank here.' });
    expect(issue(n).comments.at(-1)?.body).toMatch(
      /^\*\*frank@example\.com\*\* \(not a participant\) replied/,
    );
    expect(newMail(before).map((m) => m.to[0])).toEqual(['frank@example.com']);
    desk().nonParticipantReply = 'new-ticket';
    before = outbox().length;
    await mail({
      from: 'grace@example.com',
      to: `support+${key}@desk.localhost`,
      subject: 'Re: Policy',
      body: 'Grace here.',
    });
    const own = latestTicket();
    expect(own).toBe(n + 1);
    expect(issue(own).body).toContain('Grace here.');
    expect(issue(own).body).toContain(
      `sent to the reply address of ticket #${n} by someone who is not one of its participants`,
    );
    expect(
      issue(n)
        .comments.map((c) => c.body)
        .join('\n'),
    ).not.toContain('Grace here.');
    expect(newMail(before).map((m) => [m.to[0], m.subject])).toEqual([
      ['grace@example.com', `Re: Re: Policy (#${own})`],
    ]);
  });
});
