import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { triggerLines } from '../../local/start.js';
import { WORKFLOWS } from '../../shared/workflows.js';
import { consoleStack, type ConsoleStack } from '../helpers/local-console.js';

/**
 * The curl lines `npm start` prints work as printed: each is run here as the shell would (the
 * TOKEN line's `$(cat FILE)`, then the method, URL, header and body of each curl), against a
 * stack whose management API needs the console token.
 */
describe('the "Trigger a workflow" lines of npm start', () => {
  let s: ConsoleStack;
  let dir: string;
  beforeAll(async () => {
    s = await consoleStack({ timeScale: 0.001 });
    dir = mkdtempSync(path.join(tmpdir(), 'ghes-ops-start-lines-'));
  });
  afterAll(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('start every workflow with the console token read from its file; without the header they are refused', async () => {
    const file = path.join(dir, 'console-token');
    writeFileSync(file, `${s.token}\n`);
    const lines = triggerLines(s.url, file, true);
    const tokenLine = lines.find((l) => l.trim().startsWith('TOKEN='))!;
    const cat = /^TOKEN=\$\(cat (.+)\)$/.exec(tokenLine.trim());
    expect(cat?.[1]).toBe(file);
    const env = { TOKEN: readFileSync(cat![1]!, 'utf8').trim() };
    const posts = lines.filter((l) => l.includes('curl -s -X POST'));
    expect(posts).toHaveLength(WORKFLOWS.length);
    for (const line of posts) {
      const m = /curl -s -X POST (\S+) -H "Authorization: Bearer \$TOKEN" -d '(.*)'$/.exec(line);
      expect({ line, parsed: Boolean(m) }).toEqual({ line, parsed: true });
      const [, url, body] = m!;
      const res = await fetch(url!, {
        method: 'POST',
        headers: { Authorization: `Bearer ${env.TOKEN}` },
        body,
      });
      expect({ url, status: res.status }).toEqual({ url, status: res.status < 300 ? res.status : 'not 2xx' });
      const bare = await fetch(url!, { method: 'POST', body });
      expect({ url, status: bare.status }).toEqual({ url, status: 401 });
    }
    expect(
      s.world.engine
        .listExecutions()
        .map((e) => e.stateMachine)
        .sort(),
    ).toEqual(WORKFLOWS.map((w) => w.key).sort());
    // Let them end (workflow time runs 1000x faster) before the stack closes.
    for (const e of s.world.engine.listExecutions()) await s.world.engine.waitForExecution(e.executionArn);
    await s.world.bus.settled();
  }, 60_000);
});
