/**
 * HTML mail to safe Markdown. Nothing executable survives: `<script>`, `<style>`, `<head>`,
 * comments and every other tag are removed, links are kept only for http(s) and mailto, and the
 * remaining text is escaped so it cannot form HTML or a mention on GitHub.
 */
const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,8});/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : '';
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Escapes customer text for a GitHub Markdown body: no raw HTML, no @mentions. */
export function escapeMarkdownText(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(?=[A-Za-z0-9])/g, '@\u200b');
}

const SAFE_URL = /^(https?:|mailto:)/i;

export function htmlToMarkdown(html: string): string {
  let s = html
    // eslint-disable-next-line no-control-regex -- the link placeholders below use these characters
    .replace(/[\u0000-\u0003]/g, '')
    .replace(/<!--[\s\S]*?(-->|$)/g, '')
    .replace(
      /<(script|style|head|title|template|noscript|iframe|object|svg|math)\b[\s\S]*?(<\/\1\s*>|$)/gi,
      '',
    )
    .replace(/<(br)\b[^>]*>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|tr|table|blockquote|pre|ul|ol)\s*>/gi, '\n\n')
    .replace(/<(p|div|tr|table|ul|ol)\b[^>]*>/gi, '\n')
    .replace(/<h([1-6])\b[^>]*>/gi, (_m, n: string) => `\n${'#'.repeat(Number(n))} `)
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<\/?(b|strong)\b[^>]*>/gi, '**')
    .replace(/<\/?(i|em)\b[^>]*>/gi, '_')
    .replace(
      /<a\b[^>]*?href\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/gi,
      (...m: string[]) => {
        const href = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '').trim();
        const label = m[5] ?? '';
        return SAFE_URL.test(href) && !/[\s<>()]/.test(href) ? `\u0001${label}\u0002${href}\u0003` : label;
      },
    )
    .replace(/<[^>]*>/g, '')
    .replace(/<[\s\S]*$/, '');
  s = escapeMarkdownText(decodeEntities(s));
  // eslint-disable-next-line no-control-regex -- the link placeholders set above
  s = s.replace(/\u0001([\s\S]*?)\u0002([^\u0003]*)\u0003/g, (_m, label: string, href: string) => {
    const text = label.replace(/[[\]]/g, '').trim() || href;
    return `[${text}](${href})`;
  });
  return s
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
