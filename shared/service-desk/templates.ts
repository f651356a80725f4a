import type { TicketRepository } from './tickets.js';
import { PromiseCache } from '../runtime/promise-cache.js';

/**
 * Outgoing mail templates: `.github/service_desk_templates/<name>.md` in the tickets repository,
 * else the defaults below. Placeholders `%{NAME}` (whitespace inside the braces allowed) as in
 * GitLab; Markdown is rendered (markdown-it, raw HTML off) to an HTML part next to the text part.
 */
export type TemplateName = 'thank_you' | 'new_participant' | 'new_note' | 'closed';
export const TEMPLATE_DIR = '.github/service_desk_templates';

export const PLACEHOLDERS = [
  'ISSUE_ID',
  'ISSUE_PATH',
  'ISSUE_URL',
  'ISSUE_DESCRIPTION',
  'UNSUBSCRIBE_URL',
  'NOTE_TEXT',
  'SYSTEM_HEADER',
  'SYSTEM_FOOTER',
  'ADDITIONAL_TEXT',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const DEFAULT_TEMPLATES: Record<TemplateName, string> = {
  thank_you: [
    '%{SYSTEM_HEADER}',
    '',
    'Thank you for your support request! We are tracking your request as ticket %{ISSUE_ID}, and will respond as soon as we can.',
    '',
    '%{ADDITIONAL_TEXT}',
    '',
    'To unsubscribe from this ticket, open %{UNSUBSCRIBE_URL}',
    '',
    '%{SYSTEM_FOOTER}',
  ].join('\n'),
  new_participant: [
    '%{SYSTEM_HEADER}',
    '',
    'You have been added to ticket %{ISSUE_ID}. Replies to this message are added to the ticket.',
    '',
    '%{ISSUE_DESCRIPTION}',
    '',
    'To unsubscribe from this ticket, open %{UNSUBSCRIBE_URL}',
    '',
    '%{SYSTEM_FOOTER}',
  ].join('\n'),
  new_note: [
    '%{SYSTEM_HEADER}',
    '',
    '%{NOTE_TEXT}',
    '',
    'To unsubscribe from this ticket, open %{UNSUBSCRIBE_URL}',
    '',
    '%{SYSTEM_FOOTER}',
  ].join('\n'),
  closed: [
    '%{SYSTEM_HEADER}',
    '',
    'Your ticket %{ISSUE_ID} was closed. If you still need help, reply to this message.',
    '',
    'To unsubscribe from this ticket, open %{UNSUBSCRIBE_URL}',
    '',
    '%{SYSTEM_FOOTER}',
  ].join('\n'),
};

/**
 * How long a repository read the desk repeats for every message (the tickets repository's
 * visibility, its templates) is reused by one tickets client: a Lambda container or the local
 * stack. A template edited or a repository made public is seen within this time.
 */
export const REPO_READ_CACHE_MS = 30_000;

const repoReads = new WeakMap<object, PromiseCache<unknown>>();

/**
 * `read()` at most once per REPO_READ_CACHE_MS for `key` on this tickets client; concurrent
 * callers share one request, and a failed read is not kept.
 */
export function cachedRead<T>(client: object, key: string, read: () => Promise<T>): Promise<T> {
  let reads = repoReads.get(client);
  if (!reads) {
    reads = new PromiseCache<unknown>(REPO_READ_CACHE_MS);
    repoReads.set(client, reads);
  }
  return reads.get(key, read) as Promise<T>;
}

/** Forgets the cached repository reads of one tickets client (tests, after changing a template). */
export function forgetRepoReads(client: object): void {
  repoReads.delete(client);
}

/** Reads a template from the repository (falls back to the default when absent or unreadable). */
export async function loadTemplate(
  tickets: TicketRepository,
  repo: string,
  name: TemplateName,
): Promise<string> {
  try {
    const text = await cachedRead(tickets, `file:${repo}:${TEMPLATE_DIR}/${name}.md`, () =>
      tickets.readFile(repo, `${TEMPLATE_DIR}/${name}.md`),
    );
    if (text && text.trim()) {
      // new_note without %{NOTE_TEXT} would hide the reply from the customer: append it.
      return name === 'new_note' && !/%\{\s*NOTE_TEXT\s*\}/.test(text) ? `${text}\n\n%{NOTE_TEXT}` : text;
    }
  } catch {
    /* the default below */
  }
  return DEFAULT_TEMPLATES[name];
}

export function render(template: string, values: Partial<Record<Placeholder, string>>): string {
  return template
    .replace(/%\{\s*([A-Z_]+)\s*\}/g, (m, k: string) =>
      (PLACEHOLDERS as readonly string[]).includes(k) ? (values[k as Placeholder] ?? '') : m,
    )
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Markdown to the HTML part of outgoing mail, through markdown-it with raw HTML disabled (`<` in
 * the text stays text), links only for http(s) and mailto (markdown-it's own validateLink also
 * refuses javascript:, vbscript:, file: and data: other than images), bare URLs linked, line
 * breaks kept as in mail. Images are shown as their alternative text (no remote content in mail).
 */
type MarkdownRenderer = InstanceType<typeof import('markdown-it').default>;
let renderer: Promise<MarkdownRenderer> | undefined;
/** markdown-it, loaded on the first mail (not when the function is loaded). */
const markdownIt = (): Promise<MarkdownRenderer> =>
  (renderer ??= import('markdown-it').then(({ default: MarkdownItClass }) => {
    const md = new MarkdownItClass({ html: false, linkify: true, breaks: true });
    md.validateLink = (url: string): boolean => /^(https?:|mailto:)/i.test(url.trim());
    md.renderer.rules.image = (tokens, idx) => md.utils.escapeHtml(tokens[idx]?.content ?? '');
    return md;
  }));

/** Starts loading markdown-it (the SES function does as it starts). */
export const preloadMarkdown = (): Promise<unknown> => markdownIt();

export async function markdownToHtml(markdown: string): Promise<string> {
  const md = await markdownIt();
  return `<!doctype html><html><body>\n${md.render(markdown)}</body></html>\n`;
}
