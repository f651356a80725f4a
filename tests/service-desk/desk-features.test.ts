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
import { ConfigError, MailDeliveryFailed } from '../../shared/errors.js';
import { deskConfig, eml, harness, signed, WEBHOOK_SECRET } from './desk-harness.js';
import { checkAddresses, parseQuickActions } from '../../shared/service-desk/quick-actions.js';
import {
  attachmentLinks,
  collectReplyFiles,
  fetchLimited,
  refusedByMail,
  safeFileName,
  sizeText,
} from '../../shared/service-desk/attachments.js';

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

describe('quick actions through the webhook (unit)', () => {
  const payload = (body: string, repo = 'acme/support-tickets') =>
    JSON.stringify({
      action: 'created',
      issue: { number: 1 },
      comment: { id: 3, body, user: { login: 'mona', type: 'User' } },
      repository: { full_name: repo },
    });
  it('issues outside the desk repositories are left alone; bots never run commands', async () => {
    const h = harness();
    await h.desk.ingest({ raw: eml() });
    const other = await handleWebhook(signed(payload('/close', 'acme/other')), WEBHOOK_SECRET, h.desk, h.log);
    expect(other).toMatchObject({ status: 202, body: { action: 'not-a-desk-repository' } });
    const bot = JSON.stringify({
      ...(JSON.parse(payload('/close')) as object),
      comment: { id: 4, body: '/close', user: { login: 'x[bot]', type: 'Bot' } },
    });
    expect((await handleWebhook(signed(bot), WEBHOOK_SECRET, h.desk, h.log)).body.action).toBe('ignored-bot');
    expect(h.tickets.issues[0]?.state).toBe('open');
    const r = await handleWebhook(signed(payload('/add_email b@example.com')), WEBHOOK_SECRET, h.desk, h.log);
    expect(r).toMatchObject({ status: 200, body: { action: 'quick-actions', sent: 1 } });
    expect(h.tickets.issues[0]?.comments.at(-1)).toContain('added b@example.com');
  });

  it('a failing mailer does not undo /add_email: the acknowledgement says the mail failed', async () => {
    const h = harness();
    await h.desk.ingest({ raw: eml() });
    h.mailer.send = () =>
      Promise.reject(new MailDeliveryFailed('SES did not accept the message: Throttling'));
    const r = await handleWebhook(signed(payload('/add_email c@example.com')), WEBHOOK_SECRET, h.desk, h.log);
    expect(r).toMatchObject({ status: 200, body: { action: 'quick-actions', sent: 0 } });
    expect(h.tickets.issues[0]?.comments.at(-1)).toContain(
      'added c@example.com (0 mailed the new-participant message; the mail failed: SES did not accept the message: Throttling)',
    );
    const again = await handleWebhook(
      signed(payload('/add_email c@example.com ')),
      WEBHOOK_SECRET,
      h.desk,
      h.log,
    );
    expect(again.body.action).toBe('quick-actions');
    expect(h.tickets.issues[0]?.comments.at(-1)).toContain('already participants: c@example.com');
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

  it('unspaced writes (the default): a secondary limit on a write is waited out and retried; writes run 10 at once', async () => {
    const answers = [
      json(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '1' }),
      json(201, { id: 7, html_url: 'https://g/5#c7' }),
    ];
    const limited = (async () => answers.shift()!) as unknown as typeof fetch;
    const once = new RestTicketRepository('https://g/api/v3', async () => 't', limited, {
      retryAfterBaseMs: 1,
    });
    await expect(once.addComment('a/b', 5, 'hi')).resolves.toEqual({ id: 7, url: 'https://g/5#c7' });
    expect(answers).toHaveLength(0);

    let open = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const held = (async () => {
      open += 1;
      most = Math.max(most, open);
      await new Promise<void>((r) => release.push(r));
      open -= 1;
      return json(201, { id: 1, html_url: 'https://g/1' });
    }) as unknown as typeof fetch;
    const repo = new RestTicketRepository('https://g/api/v3', async () => 't', held);
    const calls = Array.from({ length: 12 }, (_, i) => repo.addComment('a/b', i + 1, 'x'));
    while (release.length < 10) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    expect(release).toHaveLength(10); // the global group's 10; the other two wait
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(calls);
    expect(most).toBe(10);
  });

  it('with minWriteIntervalMs, writes start that far apart', async () => {
    const started: number[] = [];
    const fetchFn = (async () => {
      started.push(performance.now());
      return json(200, [{ name: 'x' }]);
    }) as unknown as typeof fetch;
    const repo = new RestTicketRepository('https://g/api/v3', async () => 't', fetchFn, {
      minWriteIntervalMs: 100,
    });
    await Promise.all([repo.addLabels('a/b', 1, ['x']), repo.addLabels('a/b', 2, ['x'])]);
    expect(started).toHaveLength(2);
    expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(90);
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

describe('quick actions: the parser (leading lines only, /reply last)', () => {
  it('reads the leading commands and the /reply note; anything else ends the block', () => {
    expect(parseQuickActions('/add_email a@x.example b@x.example\r\n/close\n/reply Hi\nthere')).toEqual({
      actions: [
        { name: 'add_email', args: 'a@x.example b@x.example' },
        { name: 'close', args: '' },
      ],
      note: 'Hi\nthere',
    });
    expect(parseQuickActions('/reply\n\nAnswer')).toEqual({ actions: [], note: 'Answer' });
    expect(parseQuickActions('/replying to this\n/close')).toEqual({ actions: [] });
    expect(parseQuickActions('text\n/close')).toEqual({ actions: [] });
    expect(parseQuickActions('/close\ninternal remark\n/reply not a reply')).toEqual({
      actions: [{ name: 'close', args: '' }],
    });
    // Linear on a hostile comment.
    const many = '/close\n'.repeat(200_000);
    expect(parseQuickActions(many).actions).toHaveLength(20);
  });

  it('checks addresses at the edge', () => {
    const c = deskConfig();
    expect(checkAddresses('<A@Example.com>, b@example.com;c@example.com', c, 6)).toEqual({
      ok: true,
      addresses: ['a@example.com', 'b@example.com', 'c@example.com'],
    });
    expect(checkAddresses('', c, 6)).toMatchObject({ ok: false, reason: 'name at least one email address' });
    expect(checkAddresses('"Eve" <eve@example.com>', c, 6)).toMatchObject({ ok: false });
    expect(checkAddresses('ａ@example.com', c, 6)).toMatchObject({ ok: false });
    expect(checkAddresses('x@desk.localhost', c, 6)).toMatchObject({ ok: false });
  });
});

describe('reply attachments: links found by markdown-it, fetched on the GHES origin only', () => {
  const origin = 'https://ghes.example.com';
  it('finds images, files, HTML img URLs and old repository paths; nothing on other hosts', () => {
    const md = [
      `![screen shot](${origin}/user-attachments/assets/0b5c7b3e-1111-4111-8111-111111111111)`,
      `[report.pdf](${origin}/user-attachments/files/123/report.pdf)`,
      `<img width="10" alt="x" src="${origin}/user-attachments/assets/2b5c7b3e-2222-4222-8222-222222222222">`,
      `[old](${origin}/acme/support/files/77/old%20log.txt) [img](${origin}/acme/support/assets/5/abc-def)`,
      `[evil](https://evil.example/user-attachments/assets/0b5c7b3e-1111-4111-8111-111111111111)`,
      `[user](${origin.replace('https://', 'https://me:pw@')}/user-attachments/files/1/a.txt)`,
      `[page](${origin}/acme/support/issues/1) \`${origin}/user-attachments/files/9/code.txt\``,
    ].join('\n');
    expect(attachmentLinks(md, origin).map((l) => l.name)).toEqual([
      'screen shot',
      'report.pdf',
      '2b5c7b3e-2222-4222-8222-222222222222',
      'old log.txt',
      'img',
    ]);
    expect(safeFileName('../../etc/passwd\r\n')).toBe('etc_passwd_');
    expect(safeFileName('보고서 (최종).pdf')).toBe('보고서 (최종).pdf');
    expect(safeFileName('invoice\u202Efdp.exe')).toBe('invoice_fdp.exe');
    expect(refusedByMail('fix.EXE')).toBe(true);
    expect(refusedByMail('log.txt')).toBe(false);
  });

  it('sends the token only to GHES, follows redirects by hand, stops reading past the limit', async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      seen.push({ url: String(url), auth: new Headers(init.headers).get('authorization') });
      if (String(url).startsWith(origin))
        return new Response(null, {
          status: 302,
          headers: { location: 'https://storage.example/obj?sig=1' },
        });
      return new Response(new Uint8Array(3000), { status: 200, headers: { 'content-type': 'image/png' } });
    }) as unknown as typeof fetch;
    const ok = await fetchLimited(
      fetchFn,
      `${origin}/user-attachments/assets/a`,
      origin,
      async () => 't0k',
      4000,
    );
    expect(ok).toMatchObject({ ok: true, contentType: 'image/png' });
    expect(seen).toEqual([
      { url: `${origin}/user-attachments/assets/a`, auth: 'token t0k' },
      { url: 'https://storage.example/obj?sig=1', auth: null },
    ]);
    expect(
      await fetchLimited(fetchFn, `${origin}/user-attachments/assets/a`, origin, async () => 't', 2000),
    ).toEqual({ ok: false, reason: 'too-large' });
    const files = await collectReplyFiles(
      `![a.png](${origin}/user-attachments/assets/a)`,
      { origin: () => origin, fetchFile: (u, max) => fetchLimited(fetchFn, u, origin, async () => 't', max) },
      { maxBytes: 2000, maxTotal: 10_000 },
    );
    expect(files.linked).toEqual([
      { name: 'a.png', url: `${origin}/user-attachments/assets/a`, why: 'over 2 KB' },
    ]);
    expect(sizeText(10 * 1024 * 1024)).toBe('10 MB');
  });

  it('all files of a reply share one time budget: a hung GHES leaves them linked, never a timed-out webhook', async () => {
    const hang = ((_u: string, init: RequestInit) =>
      new Promise((_r, reject) => {
        const abort = (): void => reject(new Error('aborted'));
        if (init.signal?.aborted) abort();
        else init.signal?.addEventListener('abort', abort);
      })) as unknown as typeof fetch;
    const md = `[a.txt](${origin}/user-attachments/files/1/a.txt) [b.txt](${origin}/user-attachments/files/2/b.txt)`;
    const files = await collectReplyFiles(
      md,
      {
        origin: () => origin,
        fetchFile: (u, max, timeoutMs) => fetchLimited(hang, u, origin, async () => 't', max, timeoutMs),
      },
      { maxBytes: 1000, maxTotal: 1000, budgetMs: 50 },
    );
    expect(files.attached).toEqual([]);
    expect(files.linked.map((f) => [f.name, f.why])).toEqual([
      ['a.txt', 'not read in time'],
      ['b.txt', 'not read in time'],
    ]);
  });
});

describe('agent-side settings', () => {
  const base = { local: 's', domain: 'd.example', publicUrl: 'https://x' };
  const project = { slug: 'a', id: 1, repo: 'a/b' };
  it('defaults: comment policy, 10 MB per file, no texts', () => {
    expect(parseDeskConfig({ ...base, projects: [project] }, 't')).toMatchObject({
      mailText: {},
      nonParticipantReply: 'comment',
      maxReplyAttachmentBytes: 10 * 1024 * 1024,
      maxReplyAttachmentsTotalBytes: 25 * 1024 * 1024,
    });
  });
  it('refuses unknown policies, text keys and control characters, naming the field', () => {
    const bad =
      (v: Record<string, unknown>, p: Record<string, unknown> = {}) =>
      () =>
        parseDeskConfig({ ...base, ...v, projects: [{ ...project, ...p }] }, 't');
    expect(bad({ nonParticipantReply: 'add' })).toThrow(/nonParticipantReply must be one of "comment"/);
    expect(bad({}, { nonParticipantReply: 'x' })).toThrow(/projects\[0\]\.nonParticipantReply/);
    expect(bad({ mailText: { header: 'x' } })).toThrow(/mailText\.header is not a setting/);
    expect(bad({ mailText: { systemFooter: 'a\u0007' } })).toThrow(/without control characters/);
    expect(bad({ maxReplyAttachmentBytes: 50 * 1024 * 1024 })).toThrow(/maxReplyAttachmentBytes/);
  });
});
