import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fake `ssh` first on PATH that runs the line it receives in a real `sh`, with /tmp moved into a
 * temp directory and the given fake appliance programs first on the remote PATH. It logs every
 * line it receives (`commands()`), and `dropNextSession()` makes the next connection fail as a
 * dropped network path does (ssh's keepalive message, exit 255). Detached lines
 * (`nohup setsid ... &`) really detach, so a test proves they outlive the ssh that started them.
 */
const FAKE_SSH = `#!/bin/sh
for last in "$@"; do :; done
for a in "$@"; do case "$a" in admin@*) host="\${a#admin@}";; esac; done
printf '%s\\t%s\\n' "$host" "$last" >> "$FAKE_ROOT/commands.log"
if [ -f "$FAKE_ROOT/drop-next" ]; then
  rm -f "$FAKE_ROOT/drop-next"
  printf 'Timeout, server %s not responding.\\n' "$host" >&2; exit 255
fi
line=$(printf '%s' "$last" | sed "s#/tmp/#$FAKE_ROOT/tmp/#g")
PATH="$FAKE_ROOT/bin:$PATH" exec sh -c "$line"
`;

export interface FakeShellAppliance {
  /** The temp directory: `bin/` (the fake programs), `tmp/` (the appliance's /tmp). */
  root: string;
  /** The lines the fake ssh received, in order. */
  commands(): string[];
  /** The local path of an appliance file such as /tmp/x.log. */
  path(applianceFile: string): string;
  /** Creates `name` in the root (flags the fake programs wait for, such as `release`). */
  flag(name: string): void;
  /** The next ssh connection fails as a dropped session does. */
  dropNextSession(): void;
  /** Before each test: empty /tmp, no flags, an empty command log. */
  reset(flags?: string[]): void;
  /** Waits (real time) until the detached command's output file ends with its exit status. */
  ended(applianceFile: string): Promise<void>;
  /** After all tests: PATH and the environment back, the directory removed. */
  close(flags?: string[]): void;
}

/**
 * Installs the fake ssh and `programs` (name to shell script); sets FAKE_ROOT and `env`, which the
 * scripts can read. Call from beforeAll, and `close()` from afterAll.
 */
export function fakeShellAppliance(
  prefix: string,
  programs: Record<string, string>,
  env: Record<string, string> = {},
): FakeShellAppliance {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const originalPath = process.env.PATH;
  mkdirSync(join(root, 'bin'));
  const install = (file: string, text: string): void => {
    writeFileSync(file, text);
    chmodSync(file, 0o755);
  };
  install(join(root, 'ssh'), FAKE_SSH);
  for (const [name, text] of Object.entries(programs)) install(join(root, 'bin', name), text);
  process.env.PATH = `${root}:${originalPath}`;
  process.env.FAKE_ROOT = root;
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  const path = (file: string): string => join(root, 'tmp', file.replace(/^\/tmp\//, ''));
  return {
    root,
    commands: () =>
      readFileSync(join(root, 'commands.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[1] ?? ''),
    path,
    flag: (name) => writeFileSync(join(root, name), ''),
    dropNextSession: () => writeFileSync(join(root, 'drop-next'), ''),
    reset(flags = []) {
      rmSync(join(root, 'tmp'), { recursive: true, force: true });
      mkdirSync(join(root, 'tmp'));
      for (const f of ['drop-next', ...flags]) rmSync(join(root, f), { force: true });
      writeFileSync(join(root, 'commands.log'), '');
    },
    async ended(file) {
      for (let i = 0; i < 250; i++) {
        const p = path(file);
        if (existsSync(p) && /exit status \d+\n$/.test(readFileSync(p, 'utf8'))) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`the fake command writing ${file} did not end`);
    },
    close(flags = []) {
      for (const f of flags) writeFileSync(join(root, f), ''); // no fake program left waiting
      process.env.PATH = originalPath;
      for (const k of ['FAKE_ROOT', ...Object.keys(env)]) delete process.env[k];
      setTimeout(() => rmSync(root, { recursive: true, force: true }), 200).unref();
    },
  };
}
