import { describe, expect, it } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import { splitForGitHub } from '../../shared/service-desk/limits.js';
import {
  cutAt,
  hasLiveMention,
  ticketInline,
  ticketMarkdown,
  ticketTitle,
} from '../../shared/service-desk/sanitize.js';
import { RestTicketRepository, TicketApiError } from '../../shared/service-desk/tickets.js';
import { handleWebhook, verifySignature } from '../../shared/service-desk/webhook.js';
import { parseDeskConfig } from '../../shared/service-desk/config.js';
import { ConfigError } from '../../shared/errors.js';
import { deskConfig, eml, harness, signed, WEBHOOK_SECRET } from './desk-harness.js';

describe('the ticket sanitizer', () => {
  it('decodes, strips controls, then neutralizes mentions and markup', () => {
    expect(ticketMarkdown('@\0octocat @&#4;octocat &#64;hubot @\u200Borg/team a@b.example')).toBe(
      '@\u200boctocat @\u200boctocat @\u200bhubot @\u200borg/team a@b.example',
    );
    expect(ticketMarkdown('![x](https://e.x/p.png) <b>&amp;')).toBe(
      '!&#91;x&#93;(https://e.x/p.png) &lt;b&gt;&amp;',
    );
    expect(hasLiveMention(ticketMarkdown('-@octocat.'))).toBe(false);
    expect(ticketInline('image/png<img src=x>@octocat\r\nX')).toBe(
      'image/png&lt;img src=x&gt;@\u200boctocat X',
    );
  });

  it('cuts titles at 256 and never inside an entity or a surrogate pair', () => {
    expect(ticketTitle('a'.repeat(300))).toHaveLength(256);
    expect(ticketTitle('Re: <b>Café</b> @octocat')).toBe('Re: <b>Café</b> @\u200boctocat');
    expect(cutAt('abc&#91;', 6)).toBe('abc');
    expect(cutAt('ab😀', 3)).toBe('ab');
  });
});

describe("GitHub's limits", () => {
  it('splits at line breaks into marked parts and cuts past the last one with a pointer to the raw message', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(90)}`).join('\n');
    const parts = splitForGitHub(text, { max: 65_536 });
    expect(parts.length).toBeGreaterThan(4);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(65_536);
    expect(parts[1]).toMatch(/^_\(continued, part 2 of \d\)_/);
    expect(parts.join('')).toContain('line 2999');
    const cut = splitForGitHub(text, { max: 20_000, maxParts: 2, source: 's3://mail/inbound/abc' });
    expect(cut).toHaveLength(2);
    expect(cut[1]).toMatch(/were cut; the whole message: s3:\/\/mail\/inbound\/abc/);
  });
});

describe('closed template (opt-in per project)', () => {
  it('mails the participants when the project opted in, via the issues webhook', async () => {
    const h = harness(deskConfig({ closedMail: true }));
    await h.desk.ingest({ raw: eml() });
    const body = JSON.stringify({
      action: 'closed',
      issue: { number: 1, state: 'closed' },
      repository: { full_name: 'acme/support-tickets' },
    });
    const r = await handleWebhook(signed(body, 'd-1', 'issues'), WEBHOOK_SECRET, h.desk, h.log);
    expect(r).toMatchObject({ status: 200, body: { action: 'mailed-closed', sent: 1 } });
    expect(h.mailer.sent.at(-1)?.text).toMatch(/was closed/);
  });

  it('sends nothing when the project did not opt in; the setting is checked', async () => {
    const h = harness();
    await h.desk.ingest({ raw: eml() });
    expect(await h.desk.mailClosed('acme/support-tickets', 1)).toBe(0);
    expect(h.mailer.sent).toHaveLength(1);
    expect(() =>
      parseDeskConfig(
        {
          local: 's',
          domain: 'd.example',
          publicUrl: 'https://x',
          projects: [{ slug: 'a', id: 1, repo: 'a/b', closedMail: 'yes' }],
        },
        't',
      ),
    ).toThrow(ConfigError);
  });
});

describe('desk webhook', () => {
  it('checks the signature with @octokit/webhooks-methods', async () => {
    const sig = await sign(WEBHOOK_SECRET, '{"a":1}');
    expect(await verifySignature(WEBHOOK_SECRET, '{"a":1}', sig)).toBe(true);
    expect(await verifySignature(WEBHOOK_SECRET, '{"a":2}', sig)).toBe(false);
    expect(await verifySignature(WEBHOOK_SECRET, '{"a":1}', 'sha1=abc')).toBe(false);
  });

  it('a replayed signed body under a new delivery id is a duplicate (one mail)', async () => {
    const h = harness();
    await h.desk.ingest({ raw: eml() });
    const body = JSON.stringify({
      action: 'created',
      issue: { number: 1 },
      comment: { id: 9, body: '/reply Done.', user: { login: 'agent', type: 'User' } },
      repository: { full_name: 'acme/support-tickets' },
    });
    expect((await handleWebhook(signed(body, 'd-1'), WEBHOOK_SECRET, h.desk, h.log)).body.action).toBe(
      'mailed',
    );
    expect((await handleWebhook(signed(body, 'd-2'), WEBHOOK_SECRET, h.desk, h.log)).body.action).toBe(
      'duplicate',
    );
    expect(h.mailer.sent).toHaveLength(2);
  });
});

describe('RestTicketRepository on Octokit (retry, throttling, timeout)', () => {
  const issue = { number: 5, title: 't', state: 'open', html_url: 'https://g/5', assignees: [], labels: [] };
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('retries a 502, then creates the issue with the exact request', async () => {
    const calls: { url: string; method: string; body: string; auth: string | null }[] = [];
    const answers = [json(502, { message: 'bad gateway' }), json(201, issue)];
    const fetchFn = (async (url: string, init: RequestInit) => {
      calls.push({
        url: String(url),
        method: String(init.method),
        body: typeof init.body === 'string' ? init.body : '',
        auth: new Headers(init.headers).get('authorization'),
      });
      return answers.shift()!;
    }) as unknown as typeof fetch;
    const repo = new RestTicketRepository('https://ghes.example/api/v3/', async () => 'tok', fetchFn, {
      retryAfterBaseMs: 1,
    });
    const t = await repo.createIssue('acme/support', { title: 'T', body: 'B', labels: ['service-desk'] });
    expect(t).toMatchObject({ repo: 'acme/support', number: 5, state: 'open' });
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual({
      url: 'https://ghes.example/api/v3/repos/acme/support/issues',
      method: 'POST',
      body: JSON.stringify({ title: 'T', body: 'B', labels: ['service-desk'] }),
      auth: 'token tok',
    });
  });

  it('waits out a secondary rate limit (403 with retry-after) and retries once', async () => {
    const answers = [
      json(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '1' }),
      json(200, issue),
    ];
    let n = 0;
    const fetchFn = (async () => {
      n += 1;
      return answers.shift()!;
    }) as unknown as typeof fetch;
    const repo = new RestTicketRepository('https://g/api/v3', async () => 't', fetchFn, {
      retryAfterBaseMs: 1,
    });
    expect(await repo.getIssue('a/b', 5)).toMatchObject({ number: 5 });
    expect(n).toBe(2);
  });

  it('does not retry a 422 and names the status; a missing file is undefined; a hung call times out', async () => {
    let n = 0;
    const fetch422 = (async () => {
      n += 1;
      return json(422, { message: 'Validation Failed' });
    }) as unknown as typeof fetch;
    const repo = new RestTicketRepository(
      () => 'https://ghes.example/api/v3',
      async () => 'tok',
      fetch422,
      {
        retryAfterBaseMs: 1,
      },
    );
    await expect(repo.addComment('a/b', 1, 'x')).rejects.toMatchObject({
      name: 'TicketApiError',
      details: { status: 422 },
    });
    expect(n).toBe(1);
    const fetch404 = (async () => json(404, { message: 'Not Found' })) as unknown as typeof fetch;
    expect(
      await new RestTicketRepository('https://g/api/v3', async () => 't', fetch404).readFile('a/b', 'x.md'),
    ).toBe(undefined);
    // Never answers; rejects when the request's signal aborts (at once if it already has, as fetch
    // does: under load the 50 ms can pass before the request reaches fetch).
    const hang = ((_u: string, init: RequestInit) =>
      new Promise((_r, reject) => {
        const abort = (): void => reject(new Error(String(init.signal?.reason)));
        if (init.signal?.aborted) abort();
        else init.signal?.addEventListener('abort', abort);
      })) as unknown as typeof fetch;
    const slow = new RestTicketRepository('https://g/api/v3', async () => 't', hang, {
      timeoutMs: 50,
      retries: 0,
    });
    await expect(slow.getIssue('a/b', 1)).rejects.toThrow(TicketApiError);
    await expect(slow.getIssue('a/b', 1)).rejects.toThrow(/timed out after 50 ms/);
  });
});
