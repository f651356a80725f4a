import { ActionsListInvalid } from './errors.js';

/**
 * The actions-sync list-file format (`--repo-name-list-file`): one repository per line, either
 * `owner/repo` or `upstream_owner/upstream_repo:destination_owner/destination_repo`; `#` starts a
 * comment line; blank lines are skipped. Everything is validated before any command runs: each
 * entry later becomes an argument of its own actions-sync call, so only GitHub's name characters
 * pass (an entry such as `owner/repo; curl ...` is refused with its line number).
 */
export interface ActionEntry {
  /** The entry as actions-sync takes it in `--repo-name`. */
  name: string;
  /** `owner/repo` on github.com. */
  source: string;
  /** `owner/repo` on GHES. */
  destination: string;
  /** 1-based line of the list. */
  line: number;
}

export interface BadLine {
  line: number;
  text: string;
  problem: string;
}

const MAX_ACTIONS = 10_000;
const MAX_LINE_LENGTH = 300;

/** GitHub owner (user or organization) login: letters, digits, single hyphens, at most 39. */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
/** Repository name: letters, digits, `.`, `_`, `-`; at most 100; not `.` or `..`. */
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

function checkNwo(nwo: string, what: string): string | undefined {
  const parts = nwo.split('/');
  if (parts.length !== 2) return `${what} must be owner/repo`;
  const [owner = '', repo = ''] = parts;
  if (!OWNER.test(owner)) return `${what} owner ${JSON.stringify(owner)} is not a GitHub login`;
  if (!REPO.test(repo) || repo === '.' || repo === '..' || repo.endsWith('.git'))
    return `${what} repository ${JSON.stringify(repo)} is not a repository name`;
  return undefined;
}

const show = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** Parses a list; returns the entries and every bad line (never throws). */
export function parseActionsListLines(text: string): { entries: ActionEntry[]; bad: BadLine[] } {
  const entries: ActionEntry[] = [];
  const bad: BadLine[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const fail = (problem: string): void => void bad.push({ line, text: show(text), problem });
    if (text.length > MAX_LINE_LENGTH) return fail(`is longer than ${MAX_LINE_LENGTH} characters`);
    if (/[^A-Za-z0-9._\-/:]/.test(text)) {
      const ch = /[^A-Za-z0-9._\-/:]/.exec(text)?.[0] ?? '';
      return fail(
        `contains ${JSON.stringify(ch)}: an entry is owner/repo or upstream_owner/upstream_repo:dest_owner/dest_repo, nothing else (no spaces, shell characters or trailing comments)`,
      );
    }
    const halves = text.split(':');
    if (halves.length > 2) return fail('has more than one ":"');
    const [source = '', destination = source] = halves;
    const problem =
      checkNwo(source, halves.length === 2 ? 'upstream' : 'entry') ??
      (halves.length === 2 ? checkNwo(destination, 'destination') : undefined);
    if (problem) return fail(problem);
    const key = destination.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) return fail(`duplicates line ${first} (same destination ${destination})`);
    seen.set(key, line);
    entries.push({ name: text, source, destination, line });
  });
  return { entries, bad };
}

/** Parses and validates a list; throws `ActionsListInvalid` naming every bad line, an empty list, or too many. */
export function parseActionsList(text: string, where = 'the list of actions'): ActionEntry[] {
  const { entries, bad } = parseActionsListLines(text);
  const problems: string[] = bad.map((b) => `line ${b.line}: ${JSON.stringify(b.text)} ${b.problem}`);
  if (!bad.length && entries.length === 0)
    problems.push('it has no entries (only blank lines or comments): add one owner/repo per line');
  if (entries.length > MAX_ACTIONS)
    problems.push(`it has ${entries.length} entries, at most ${MAX_ACTIONS}: split it`);
  if (problems.length) {
    const shown = problems.slice(0, 50);
    const more = problems.length > shown.length ? [`... and ${problems.length - shown.length} more`] : [];
    throw new ActionsListInvalid(
      `${where} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was run. Fix it and start again:\n${[...shown, ...more].join('\n')}`,
      { badLines: bad.slice(0, 200), badLineCount: bad.length, entries: entries.length },
    );
  }
  return entries;
}

/** A cache directory name of its own per action (`--cache-dir` of that action's call). */
export function cacheSlug(entry: Pick<ActionEntry, 'destination'>): string {
  return entry.destination.toLowerCase().replace('/', '__');
}
