import { Tokenizer } from 'htmlparser2';
import { cleanText, escapeMarkup, neutralizeMentions } from './sanitize.js';

/**
 * HTML mail to safe Markdown, through htmlparser2's tokenizer (a state machine: one pass, linear time on
 * any input, unterminated tags and attributes included). No regular expression ever looks at the
 * HTML itself. Nothing executable survives: `<script>`, `<style>`, `<head>` and the like are
 * dropped with their content, every other tag is reduced to the Markdown it means (paragraphs,
 * line breaks, headings, list items, bold, italics, http(s)/mailto links, preformatted text), and
 * every piece of text goes through the ticket sanitizer (sanitize.ts): entities are decoded by the
 * parser, controls stripped, markup escaped and mentions neutralized over the whole result.
 */

const DROP = new Set([
  'script',
  'style',
  'head',
  'title',
  'template',
  'noscript',
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'select',
  'textarea',
]);
const BLOCK = new Set([
  'p',
  'div',
  'table',
  'tr',
  'ul',
  'ol',
  'blockquote',
  'section',
  'article',
  'header',
  'footer',
  'hr',
]);
/** An http(s) or mailto URL without characters that could end the Markdown link early. */
const SAFE_URL = /^(?:https?:\/\/|mailto:)[^\s<>()[\]"'`\\]{1,2000}$/i;
/** Nesting beyond this is flattened (inline markers are not repeated). */
const MAX_DEPTH = 200;

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'track',
  'wbr',
]);

/**
 * htmlparser2's Tokenizer (not its Parser: the Parser keeps the open-element stack with
 * `Array.unshift`, quadratic on deeply nested tags). The conversion needs no tree: a depth
 * counter for what is dropped, a flag for `<pre>` and the one open link.
 */
export function htmlToMarkdown(html: string): string {
  const out: string[] = [];
  let drop = 0;
  let pre = 0;
  let depth = 0;
  let link: { href: string; start: number } | undefined;
  let tag = '';
  let attrs: Record<string, string> = {};
  let attr = '';
  let value = '';
  // Text between two tags is gathered first and cleaned once (entities arrive one by one).
  let pending: string[] = [];
  const text = (t: string): void => {
    if (!drop) pending.push(t);
  };
  const flush = (): void => {
    if (!pending.length) return;
    const s = cleanText(pending.join(''), { decode: false });
    pending = [];
    out.push(escapeMarkup(pre ? s : s.replace(/\s+/g, ' ')));
  };
  const open = (name: string): void => {
    flush();
    if (!VOID.has(name)) depth += 1;
    if (DROP.has(name)) {
      drop += 1;
      return;
    }
    if (drop) return;
    if (name === 'br') out.push('\n');
    else if (BLOCK.has(name)) out.push('\n\n');
    else if (name === 'pre') {
      pre += 1;
      out.push('\n\n');
    } else if (/^h[1-6]$/.test(name)) out.push(`\n\n${'#'.repeat(Number(name[1]))} `);
    else if (name === 'li') out.push('\n- ');
    else if (depth < MAX_DEPTH && (name === 'b' || name === 'strong')) out.push('**');
    else if (depth < MAX_DEPTH && (name === 'i' || name === 'em')) out.push('_');
    else if (name === 'img') {
      const alt = cleanText(attrs.alt ?? '', { decode: false })
        .replace(/\s+/g, ' ')
        .trim();
      if (alt) out.push(` ${escapeMarkup(alt.slice(0, 200))} `);
    } else if (name === 'a' && !link) {
      const href = cleanText(attrs.href ?? '', { decode: false }).trim();
      link = { href: SAFE_URL.test(href) ? href : '', start: out.length };
    }
  };
  const close = (name: string): void => {
    flush();
    if (VOID.has(name)) return;
    depth = Math.max(0, depth - 1);
    if (DROP.has(name)) {
      drop = Math.max(0, drop - 1);
      return;
    }
    if (drop) return;
    if (BLOCK.has(name) || /^h[1-6]$/.test(name)) out.push('\n\n');
    else if (name === 'pre') {
      pre = Math.max(0, pre - 1);
      out.push('\n\n');
    } else if (depth < MAX_DEPTH - 1 && (name === 'b' || name === 'strong')) out.push('**');
    else if (depth < MAX_DEPTH - 1 && (name === 'i' || name === 'em')) out.push('_');
    else if (name === 'a' && link) {
      const label = out.splice(link.start).join('').replace(/\s+/g, ' ').trim();
      if (link.href) {
        // `@` in a mailto link is percent-encoded: the mention pass below must not touch URLs.
        const href = link.href.replace(/@/g, '%40');
        out.push(`[${label.replace(/[[\]]/g, '') || escapeMarkup(href)}](${href})`);
      } else out.push(label);
      link = undefined;
    }
  };
  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      ontext: (s, e) => text(html.slice(s, e)),
      ontextentity: (cp) => text(String.fromCodePoint(cp)),
      oncdata: (s, e) => text(html.slice(s, e)),
      oncomment: () => undefined,
      ondeclaration: () => undefined,
      onprocessinginstruction: () => undefined,
      onend: () => undefined,
      onopentagname: (s, e) => {
        tag = html.slice(s, e).toLowerCase();
        attrs = {};
      },
      onattribname: (s, e) => {
        attr = html.slice(s, e).toLowerCase();
        value = '';
      },
      onattribdata: (s, e) => {
        if ((attr === 'href' || attr === 'alt') && value.length < 4096)
          value += html.slice(s, Math.min(e, s + 4096));
      },
      onattribentity: (cp) => {
        if ((attr === 'href' || attr === 'alt') && value.length < 4096) value += String.fromCodePoint(cp);
      },
      onattribend: () => {
        if ((attr === 'href' || attr === 'alt') && attrs[attr] === undefined) attrs[attr] = value;
        attr = '';
      },
      onopentagend: () => open(tag),
      onselfclosingtag: () => {
        open(tag);
        close(tag);
      },
      onclosetag: (s, e) => close(html.slice(s, e).toLowerCase()),
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  flush();
  const md = neutralizeMentions(out.join(''));
  // Trailing spaces and runs of blank lines, line by line (no regex over the whole text).
  const lines: string[] = [];
  let blank = 0;
  for (const line of md.split('\n')) {
    const l = line.trimEnd();
    blank = l ? 0 : blank + 1;
    if (blank < 2) lines.push(l);
  }
  return lines.join('\n').trim();
}
