import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deskCommand } from '../../local/cli/desk.js';
import { ticketTokenParameter } from '../../shared/service-desk/ticket-token.js';
import { smtpSend, testDesk, type TestDesk } from '../helpers/local-desk.js';

let stack: TestDesk;
beforeAll(async () => {
  stack = await testDesk({ retryFailedAfterMs: 60_000 });
});
afterAll(() => stack.close());

async function desk(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await deskCommand(args, async () => stack.world.config, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: async () => '',
    env: {},
    run: async () => {
      throw new Error('must not run a workflow in-process while a stack runs');
    },
  });
  return { code, out, err };
}

const TO = 'support+acme-support-1-issue-@desk.localhost';
async function send(raw: string): Promise<void> {
  await smtpSend(stack.desk.smtpPort, { from: 'erin@example.com', to: TO }, raw);
}

describe('ghes-ops desk spools|replay on the running stack', () => {
  it('a mail that failed is listed, replayed once the cause is fixed, and never makes a second ticket', async () => {
    const params = stack.world.deps.params;
    const name = ticketTokenParameter(stack.world.config.parameterPrefix);
    // The desk's token is revoked on GHES: every attempt is refused (401).
    stack.desk.ghes.revokeToken((await params.get(name))!);
    await send(
      `From: erin@example.com\r\nTo: ${TO}\r\nSubject: Replay me\r\nMessage-ID: <replay-1@example.com>\r\n\r\nHi.\r\n`,
    );
    await stack.desk.settled();
    // The operator stores a new token (the desk reads it again after the 401, no restart).
    await params.put(name, stack.desk.ghes.issueToken('support-bot', ['repo']), {
      secure: true,
      overwrite: true,
    });

    const listed = await desk('spools', '--json');
    expect(listed.code).toBe(0);
    const spools = JSON.parse(listed.out.join('\n')) as {
      incoming: string[];
      failed: { error: string; messageIds: string[] }[];
    };
    expect(spools.incoming).toEqual([]);
    expect(spools.failed).toHaveLength(1);
    expect(spools.failed[0]!.error).toMatch(/^TicketApiError: /);
    const [messageId] = spools.failed[0]!.messageIds;

    expect((await desk('replay', '--id', 'no-such-id')).out).toEqual([
      'nothing in the failed spool matches no-such-id',
    ]);
    const replayed = await desk('replay', '--id', messageId!);
    expect(replayed.out[0]).toMatch(/^replaying 1 failed message\(s\)/);
    await stack.desk.settled();
    const tickets = () =>
      stack.desk.issues.repo('acme/support-tickets')!.issues.filter((i) => i.title === 'Replay me');
    expect(tickets()).toHaveLength(1);
    expect((await desk('replay')).out).toEqual(['the failed spool is empty']);

    // The same SES event again (a duplicate delivery or a second replay): still one ticket.
    const event = stack.world.invoker.failed.at(-1)?.requestPayload;
    expect(event).toBeUndefined(); // it left the spool when replayed
    const again = JSON.parse(
      JSON.stringify({ Records: [{ ses: { mail: { messageId }, receipt: { recipients: [TO] } } }] }),
    ) as unknown;
    stack.world.invoker.invoke('serviceDeskReceive', again);
    await stack.desk.settled();
    expect(tickets()).toHaveLength(1);
  });

  it('desk verify runs on the running stack: no in-process copy that would rewrite its settings; no scenario change', async () => {
    await expect(
      desk('verify', 'acme-support', '--by', 'ops@acme.example', '--scenario', 'mail-rewrites-from'),
    ).rejects.toThrow(/a stack is running at http:\/\/127\.0\.0\.1:\d+; it verifies with its own scenario/);
  });

  it('without a running stack, says where the spools are and that a start retries them', async () => {
    const port = stack.world.config.local.http.port;
    stack.world.config.local.http.port = 1;
    try {
      const r = await desk('replay');
      expect(r.code).toBe(1);
      expect(r.err[0]).toMatch(/no stack answers at http:\/\/127\.0\.0\.1:1\. Start it \(npm start\)/);
      expect(r.err[0]).toContain('ghes-ops aws redrive');
    } finally {
      stack.world.config.local.http.port = port;
    }
  });
});
