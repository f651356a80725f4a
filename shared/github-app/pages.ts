import { PAGE_HEADERS } from '../http/api-event.js';

/** Small HTML pages of the manifest flow. Every dynamic value is escaped; no scripts. */
export interface Page {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function page(status: number, title: string, inner: string, extra: Record<string, string> = {}): Page {
  return {
    status,
    headers: { ...PAGE_HEADERS, ...extra },
    body: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;line-height:1.5}
pre{background:#f6f8fa;padding:1rem;overflow:auto}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${inner}
</body></html>
`,
  };
}

export function redirect(location: string): Page {
  return { status: 302, headers: { ...PAGE_HEADERS, location }, body: '' };
}
