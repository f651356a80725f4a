import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deskCommand } from '../../local/cli/desk.js';
import type { Outcome } from '../../shared/service-desk/desk.js';
import { deskFromDeps } from '../../shared/service-desk/desk-factory.js';
import { smtpSend, testDesk, type TestDesk } from '../helpers/local-desk.js';

const TO = 'support+acme-support-1-issue-@desk.localhost';
const REPO = 'acme/support-tickets';

async function send(stack: TestDesk, from: string, raw: string, to = TO): Promise<void> {
  await smtpSend(stack.desk.smtpPort, { from, to }, raw);
  await stack.desk.settled();
}
const mail = (from: string, subject: string, id: string, to = TO, body = 'Hello.'): string =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.com>\r\n\r\n${body}\r\n`;
const replyKeyOf = (stack: TestDesk, address: string): string =>
  /\+([0-9a-f]{32})@/.exec(stack.outbox.sent.find((m) => m.to[0] === address)!.replyTo!)![1]!;

describe('tickets are referenced by immutable ids', () => {
  let stack: TestDesk;
  beforeAll(async () => {
    stack = await testDesk();
  });
  afterAll(() => stack.close());

  it('after the tickets repository is recreated, an old reply key opens a new ticket with a note; nothing lands on the new #1', async () => {
    await send(stack, 'alice@example.com', mail('alice@example.com', 'Alice problem', 'alice-1'));
    const aliceKey = replyKeyOf(stack, 'alice@example.com');
    expect(stack.desk.issues.repo(REPO)!.issues[0]).toMatchObject({ number: 1, title: 'Alice problem' });

    // The repository is deleted and created again under the same name (new ids).
    stack.desk.issues.deleteRepo(REPO);
    const fresh = stack.desk.issues.createRepo('acme', 'support-tickets', { private: true });
    fresh.labels.add('service-desk');
    await send(stack, 'frank@example.com', mail('frank@example.com', 'Frank problem', 'frank-1'));
    expect(fresh.issues.map((i) => [i.number, i.title])).toEqual([[1, 'Frank problem']]);

    const before = stack.outbox.sent.length;
    await send(
      stack,
      'alice@example.com',
      mail(
        'alice@example.com',
        'Re: Alice problem',
        'alice-2',
        `support+${aliceKey}@desk.localhost`,
        'Any news?',
      ),
      `support+${aliceKey}@desk.localhost`,
    );
    expect(fresh.issues[0]!.comments).toEqual([]);
    const opened = fresh.issues[1]!;
    expect(opened.title).toBe('Re: Alice problem');
    expect(opened.body).toContain('Any news?');
    expect(opened.body).toContain(`answers ticket #1 of ${REPO}, which no longer exists`);
    // Alice hears about her new ticket only; nobody is told they were added to Frank's.
    const sent = stack.outbox.sent.slice(before);
    expect(sent.map((m) => [m.to[0], m.subject])).toEqual([
      ['alice@example.com', `Re: Re: Alice problem (#2)`],
    ]);
    // A team /reply on Frank's ticket goes to Frank only.
    expect(await deskFromDeps(stack.world.deps).mailNote(REPO, 1, 'We are on it.')).toBe(1);
    expect(stack.outbox.sent.at(-1)!.to).toEqual(['frank@example.com']);
  });
});

describe('nothing dropped silently: the burst limit holds new mail, never replies', () => {
  let stack: TestDesk;
  const outcomes: Outcome[] = [];
  beforeAll(async () => {
    stack = await testDesk({
      settings: (s) => void (s.desk = { ...s.desk, burst: { max: 2, windowSeconds: 300 } }),
      onOutcome: (o) => outcomes.push(o),
    });
  });
  afterAll(() => stack.close());

  const cli = async (...args: string[]): Promise<string[]> => {
    const out: string[] = [];
    const code = await deskCommand(args, async () => stack.world.config, {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      stdin: async () => '',
      env: {},
    });
    expect(code).toBe(0);
    return out;
  };

  it('holds new mail over the limit, tells the human sender once, lets his reply through, and releases the held mail on replay', async () => {
    for (let i = 1; i <= 4; i++)
      await send(stack, 'bob@example.com', mail('Bob <bob@example.com>', `Bob ${i}`, `bob-${i}`));
    expect(outcomes.map((o) => o.action)).toEqual(['created', 'created', 'held', 'held']);
    const tickets = () => stack.desk.issues.repo(REPO)!.issues.filter((i) => i.title.startsWith('Bob'));
    expect(tickets().map((t) => t.title)).toEqual(['Bob 1', 'Bob 2']);
    const notices = stack.outbox.sent.filter(
      (m) => m.to[0] === 'bob@example.com' && m.text.includes('will look at it'),
    );
    expect(notices).toHaveLength(1);
    expect(notices[0]!.headers).toMatchObject({ 'Auto-Submitted': 'auto-replied' });

    // His reply to an existing ticket is never burst-limited.
    const key = replyKeyOf(stack, 'bob@example.com');
    await send(
      stack,
      'bob@example.com',
      mail('bob@example.com', 'Re: Bob 1', 'bob-reply', `support+${key}@desk.localhost`, 'More details.'),
      `support+${key}@desk.localhost`,
    );
    expect(outcomes.at(-1)).toMatchObject({ action: 'commented' });

    const listed = JSON.parse((await cli('spools', '--json')).join('\n')) as {
      held: unknown[];
      counts: Record<string, number>;
    };
    expect(listed.held).toHaveLength(2);
    expect(listed.counts).toMatchObject({ 'held:sender-burst-limit': 2, created: 2, commented: 1 });

    expect((await cli('replay', '--held'))[0]).toMatch(/^releasing 2 held message\(s\)/);
    await stack.desk.settled();
    expect(
      tickets()
        .map((t) => t.title)
        .sort(),
    ).toEqual(['Bob 1', 'Bob 2', 'Bob 3', 'Bob 4']);
    expect(await cli('replay', '--held')).toEqual(['no held message matches']);
    // A redelivery of a released message is a duplicate, never a second ticket.
    await send(stack, 'bob@example.com', mail('Bob <bob@example.com>', 'Bob 3', 'bob-3'));
    expect(tickets()).toHaveLength(4);
  });
});
