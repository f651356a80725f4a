import { GhesOpsError } from '../../shared/errors.js';

/**
 * The sandbox's shell: a small POSIX word parser for the lines `renderShell` produces. It reads
 * single quotes, double quotes, backslash escapes and `|` pipelines, and refuses everything that
 * the real shell (bash, on the appliance) would not pass through as plain arguments: `;`, `&`,
 * redirections, `$` expansions, backticks, globs, comments, subshells, reserved words,
 * variable assignments... A refusal means the command was built or quoted wrongly: it is an
 * error, never something to run.
 */
export class SandboxShellRefused extends GhesOpsError {
  readonly name = 'SandboxShellRefused';
}

/** Characters that stand for themselves outside quotes (the same set `shellQuote` leaves bare). */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]$/;

/** Bash reserved words: as the first word of a command they change its meaning. */
const RESERVED = new Set([
  '!',
  'case',
  'coproc',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'function',
  'if',
  'in',
  'select',
  'then',
  'time',
  'until',
  'while',
  '{',
  '}',
  '[[',
  ']]',
]);

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

const NAMES: Record<string, string> = {
  ';': 'command separator ";"',
  '&': '"&" (background or "&&")',
  '>': 'redirection ">"',
  '<': 'redirection "<"',
  '(': 'subshell "("',
  ')': '")"',
  $: '"$" expansion',
  '`': 'backtick command substitution',
  '\n': 'newline (a command separator)',
  '\r': 'carriage return',
  '*': 'glob "*"',
  '?': 'glob "?"',
  '[': 'glob "["',
  '#': 'comment "#"',
  '~': 'tilde expansion "~"',
  '{': 'brace expansion "{"',
  '}': '"}"',
  '!': 'history/negation "!"',
};

function describe(c: string): string {
  return NAMES[c] ?? `character ${JSON.stringify(c)}`;
}

/**
 * Parses a shell line into pipeline stages, each an argv. Throws `SandboxShellRefused` for any
 * syntax the sandbox does not run as plain arguments.
 */
export function parseShellLine(line: string): string[][] {
  const refuse = (what: string, offset: number): never => {
    throw new SandboxShellRefused(
      `Refused shell line: ${what} at offset ${offset}. The real shell would not pass it through as a plain argument; ` +
        `build the command with command()/pipe() so that renderShell quotes every argument. Line: ${JSON.stringify(line)}`,
      { line, offset, problem: what },
    );
  };
  const stages: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let wordStart = 0;
  let wordQuoted = false;
  const startWord = (at: number, quoted = false): void => {
    if (!inWord) {
      inWord = true;
      wordStart = at;
      wordQuoted = false;
    }
    if (quoted) wordQuoted = true;
  };
  const endWord = (): void => {
    if (!inWord) return;
    if (words.length === 0) {
      const raw = line.slice(wordStart);
      if (ASSIGNMENT.test(raw)) refuse('variable assignment before the command', wordStart);
      if (RESERVED.has(word) && !wordQuoted) refuse(`reserved word "${word}"`, wordStart);
    }
    words.push(word);
    word = '';
    inWord = false;
  };

  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) refuse('unterminated single quote', i);
      startWord(i, true);
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      startWord(i, true);
      let j = i + 1;
      for (;;) {
        if (j >= line.length) refuse('unterminated double quote', i);
        const d = line[j] as string;
        if (d === '"') break;
        if (d === '\\') {
          const next = line[j + 1];
          if (next !== undefined && '$`"\\\n'.includes(next)) {
            if (next !== '\n') word += next;
            j += 2;
            continue;
          }
          word += d;
          j++;
        } else if (d === '$' || d === '`') {
          refuse(`${describe(d)} inside double quotes`, j);
        } else {
          word += d;
          j++;
        }
      }
      i = j + 1;
    } else if (c === '\\') {
      const next = line[i + 1];
      if (next === undefined) refuse('backslash at the end of the line', i);
      if (next === '\n') {
        i += 2; // line continuation
        continue;
      }
      startWord(i, true);
      word += next;
      i += 2;
    } else if (c === '|') {
      if (line[i + 1] === '|') refuse('"||"', i);
      if (line[i + 1] === '&') refuse('"|&"', i);
      endWord();
      if (words.length === 0) refuse('empty pipeline stage before "|"', i);
      stages.push(words);
      words = [];
      i++;
    } else if (PLAIN.test(c) || c.charCodeAt(0) > 127) {
      startWord(i);
      word += c;
      i++;
    } else {
      refuse(`unquoted ${describe(c)}`, i);
    }
  }
  endWord();
  if (words.length === 0)
    refuse(stages.length > 0 ? 'empty pipeline stage after "|"' : 'empty command line', line.length);
  stages.push(words);
  return stages;
}

/**
 * The one wrapper the appliances run besides plain pipelines: a command detached from the session
 * (shared/appliance/command.ts `detached`), exactly
 *
 *     nohup setsid sh -c 'CMD; printf '\n[ghes-ops] exit status %s\n' "$?"' > FILE 2>&1 < /dev/null & echo $!
 *
 * with the script single-quoted as `shellQuote` does. Anything else with `&` or `>` is refused by
 * `parseShellLine`. Returns null when the line is not this wrapper; CMD is parsed as any line.
 */
export interface DetachedLine {
  /** The command's pipeline stages. */
  stages: string[][];
  /** Where its output and exit status go. */
  outputFile: string;
}

const DETACHED_WRAPPER = /^nohup setsid sh -c ((?:'[^']*'|\\')+) > (\S+) 2>&1 < \/dev\/null & echo \$!$/;
const DETACHED_SUFFIX = `; printf '\\n[ghes-ops] exit status %s\\n' "$?"`;
const DETACHED_FILE = /^\/tmp\/ghes-ops-[A-Za-z0-9][A-Za-z0-9._-]*\.log$/;

export function parseDetachedLine(line: string): DetachedLine | null {
  const m = DETACHED_WRAPPER.exec(line);
  if (!m) return null;
  const refuse = (what: string): never => {
    throw new SandboxShellRefused(`Refused detached command: ${what}. Line: ${JSON.stringify(line)}`, {
      line,
      offset: 0,
      problem: what,
    });
  };
  const script = parseShellLine(m[1] as string);
  const file = parseShellLine(m[2] as string);
  const text =
    script.length === 1 && script[0]!.length === 1 ? script[0]![0]! : refuse('the script is not one word');
  const outputFile =
    file.length === 1 && file[0]!.length === 1 ? file[0]![0]! : refuse('the output file is not one word');
  if (!DETACHED_FILE.test(outputFile))
    refuse(`output file ${JSON.stringify(outputFile)} is not /tmp/ghes-ops-NAME.log`);
  if (!text.endsWith(DETACHED_SUFFIX)) refuse('the script does not end by printing the exit status');
  return { stages: parseShellLine(text.slice(0, -DETACHED_SUFFIX.length)), outputFile };
}
