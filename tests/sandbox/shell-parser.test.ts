import { describe, expect, it } from '@jest/globals';
import { command, detached, pipe, renderShell } from '../../shared/appliance/command.js';
import { parseDetachedLine, parseShellLine, SandboxShellRefused } from '../../local/sandbox/shell-parser.js';
import { manualSandbox, run } from './helpers.js';

const TRICKY = [
  "it's",
  '$(id)',
  '`id`',
  'a\nb',
  'line1\nline2\n',
  '',
  ' ',
  'two  spaces',
  '"double"',
  "'single'",
  'back\\slash',
  'semi;colon',
  'a && b',
  'a | b',
  '> /etc/passwd',
  '*',
  '~root',
  '#comment',
  '$HOME',
  '${IFS}',
  '!!',
  '{a,b}',
  'tab\there',
  'ünïcödé ✓',
  "'\\''",
  '-t',
  '--',
];

describe('shell parser', () => {
  it.each(TRICKY.map((v) => [v]))('round-trips %j through renderShell', (value) => {
    const cmd = command('ghe-support-upload', '-t', '1234567', '-d', value);
    expect(parseShellLine(renderShell(cmd))).toEqual([['ghe-support-upload', '-t', '1234567', '-d', value]]);
  });

  it('round-trips random strings of shell metacharacters', () => {
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '\t',
      '\n',
      "'",
      '"',
      '\\',
      '$',
      '`',
      ';',
      '&',
      '|',
      '(',
      ')',
      '<',
      '>',
      '*',
      '?',
      '[',
      ']',
      '#',
      '~',
      '{',
      '}',
      '!',
      '=',
      '%',
      'é',
      '✓',
    ];
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 500; i++) {
      const args = Array.from({ length: 1 + rand(4) }, () =>
        Array.from({ length: rand(12) }, () => alphabet[rand(alphabet.length)]).join(''),
      );
      const cmd = pipe(['ghe-repl-status', ...args], ['ghe-support-upload', ...args.slice().reverse()]);
      expect(parseShellLine(renderShell(cmd))).toEqual(cmd.pipeline);
    }
  });

  it('reads double quotes, backslashes and pipelines as bash does', () => {
    expect(
      parseShellLine(`ghe-repl-status -vv | ghe-support-upload -t 1234567 -d "Verbose Replication Status"`),
    ).toEqual([
      ['ghe-repl-status', '-vv'],
      ['ghe-support-upload', '-t', '1234567', '-d', 'Verbose Replication Status'],
    ]);
    expect(parseShellLine(String.raw`cat a\ b "x\"y\\z\q" 'p'"q"r`)).toEqual([
      ['cat', 'a b', 'x"y\\z\\q', 'pqr'],
    ]);
    expect(parseShellLine('cat a \\\n b')).toEqual([['cat', 'a', 'b']]);
    expect(parseShellLine(`cat '' ""`)).toEqual([['cat', '', '']]);
  });

  it.each([
    ['ghe-repl-status; id', 'command separator ";"'],
    ['ghe-repl-status && id', '"&"'],
    ['ghe-repl-status & id', '"&"'],
    ['ghe-repl-status || id', '"||"'],
    ['cat $(id)', '"$" expansion'],
    ['cat `id`', 'backtick'],
    ['cat "$(id)"', 'inside double quotes'],
    ['cat "`id`"', 'inside double quotes'],
    ['cat $HOME', '"$" expansion'],
    ['cat > /etc/passwd', 'redirection'],
    ['cat < /etc/shadow', 'redirection'],
    ['cat /tmp/*', 'glob'],
    ['cat ~/x', 'tilde'],
    ['cat a #b', 'comment'],
    ['(cat a)', 'subshell'],
    ['cat a\nid', 'newline'],
    ["cat 'unterminated", 'unterminated single quote'],
    ['cat "unterminated', 'unterminated double quote'],
    ['cat a\\', 'backslash at the end'],
    ['cat a |', 'empty pipeline stage'],
    ['| cat a', 'empty pipeline stage'],
    ['', 'empty command line'],
    ['X=1 cat a', 'variable assignment'],
    ['time cat a', 'reserved word'],
    ['if cat a', 'reserved word'],
  ])('refuses %j (%s)', (line, problem) => {
    let error: unknown;
    try {
      parseShellLine(line);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SandboxShellRefused);
    expect((error as Error).name).toBe('SandboxShellRefused');
    expect((error as SandboxShellRefused).details.problem).toContain(problem);
  });

  it('does not treat quoted reserved words or assignments as syntax', () => {
    expect(parseShellLine(`'time' x`)).toEqual([['time', 'x']]);
    expect(parseShellLine(`'X=1' cat`)).toEqual([['X=1', 'cat']]);
    expect(parseShellLine(`cat X=1 if`)).toEqual([['cat', 'X=1', 'if']]);
  });

  it('refused lines are logged and thrown by the sandbox, and nothing runs', async () => {
    const { sandbox } = manualSandbox();
    expect(() => sandbox.startLine('ghe-primary', 'ghe-maintenance -s; ghe-maintenance -q')).toThrow(
      SandboxShellRefused,
    );
    expect(sandbox.appliance('ghe-primary').maintenance.enabled).toBe(false);
    expect(sandbox.commandLog).toEqual([
      expect.objectContaining({
        target: 'ghe-primary',
        line: 'ghe-maintenance -s; ghe-maintenance -q',
        commandId: null,
        refused: 'unquoted command separator ";"',
      }),
    ]);
  });

  it('passes hostile values to the command as one plain argument, end to end', async () => {
    const { sandbox } = manualSandbox();
    const description = `it's $(reboot); \`id\` && rm -rf / | cat\nsecond line`;
    const result = await run(
      sandbox,
      'ghe-replica',
      pipe(['ghe-repl-status'], ['ghe-support-upload', '-t', '1234567', '-d', description]),
    );
    expect(result.exitCode).toBe(0);
    expect(sandbox.uploads).toHaveLength(1);
    expect(sandbox.uploads[0]?.description).toBe(description);
    expect(sandbox.commandLog[0]?.line).toBe(
      renderShell(pipe(['ghe-repl-status'], ['ghe-support-upload', '-t', '1234567', '-d', description])),
    );
  });
});

describe('the detached wrapper (shared/appliance/command.ts detached)', () => {
  const line = renderShell(
    detached(command('ghe-support-bundle', '-p', "2 days' worth", '-t', '1234567'), '/tmp/ghes-ops-x-1.log'),
  );

  it('reads the command and the output file back from the exact line renderShell makes', () => {
    expect(parseDetachedLine(line)).toEqual({
      stages: [['ghe-support-bundle', '-p', "2 days' worth", '-t', '1234567']],
      outputFile: '/tmp/ghes-ops-x-1.log',
    });
    expect(parseDetachedLine('ghe-support-bundle -t 1234567')).toBeNull();
  });

  it.each([
    ['another output file', line.replace('/tmp/ghes-ops-x-1.log', '/etc/passwd')],
    ['a script without the exit status', line.replace("printf '\\''", "echo '\\''")],
    ['a command list inside', line.replace('ghe-support-bundle', 'ghe-support-bundle; reboot;')],
  ])('refuses %s', (_label, bad) => {
    expect(() => parseDetachedLine(bad)).toThrow(SandboxShellRefused);
  });

  it('anything else with & or > stays refused by the plain parser', () => {
    expect(() => parseShellLine('ghe-support-bundle -t 1 > /tmp/x &')).toThrow(SandboxShellRefused);
  });
});
