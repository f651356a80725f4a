import { describe, expect, it } from '@jest/globals';
import {
  command,
  describeCommand,
  detached,
  pipe,
  renderShell,
  shellQuote,
} from '../../shared/appliance/command.js';

describe('appliance commands', () => {
  it('quotes every argument that is not a plain word', () => {
    expect(shellQuote('1234567')).toBe('1234567');
    expect(shellQuote('$(id)')).toBe("'$(id)'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a; rm -rf /')).toBe("'a; rm -rf /'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('line1\nline2')).toBe("'line1\nline2'");
  });

  it('renders pipelines', () => {
    const cmd = pipe(
      ['ghe-repl-status', '-vv'],
      ['ghe-support-upload', '-t', '1234567', '-d', 'status from replica'],
    );
    expect(renderShell(cmd)).toBe(
      "ghe-repl-status -vv | ghe-support-upload -t 1234567 -d 'status from replica'",
    );
  });

  it('refuses programs outside the allow-list and NUL bytes', () => {
    expect(() => command('rm', '-rf', '/')).toThrow(/not allowed/);
    expect(() => command('bash', '-c', 'id')).toThrow(/not allowed/);
    expect(() => command('cat', 'a\0b')).toThrow(/NUL/);
  });
});

describe('detached commands', () => {
  it('wraps the quoted command in the fixed nohup/setsid template with its output file', () => {
    const cmd = detached(
      command('ghe-support-bundle', '-t', '1234567'),
      '/tmp/ghes-ops-support-bundle-1234567-1.log',
    );
    expect(renderShell(cmd)).toBe(
      `nohup setsid sh -c 'ghe-support-bundle -t 1234567; printf '\\''\\n[ghes-ops] exit status %s\\n'\\'' "$?"' ` +
        '> /tmp/ghes-ops-support-bundle-1234567-1.log 2>&1 < /dev/null & echo $!',
    );
    expect(describeCommand(cmd)).toBe('ghe-support-bundle -t 1234567');
  });

  it.each([
    '/etc/cron.d/x',
    '/tmp/ghes-ops-$(id).log',
    '/tmp/ghes-ops-a b.log',
    '/tmp/../etc/ghes-ops-x.log',
    '',
  ])('refuses the output file %j', (file) => {
    expect(() => detached(command('ghe-support-bundle'), file)).toThrow(TypeError);
  });
});
