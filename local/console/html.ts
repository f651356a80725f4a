import { PAGE_HEADERS } from '../../shared/http/api-event.js';
import { escapeHtml } from '../../shared/github-app/pages.js';
import type { HttpResponse } from '../http-server.js';

export { escapeHtml };

/**
 * The console's page frame. The headers of every page people open (shared/http/api-event.ts) with
 * a CSP that allows only the console's own script and stylesheet, and framing of its own mail
 * previews.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...PAGE_HEADERS,
  // Same-origin only: with no-referrer, Chromium sends `Origin: null` on the console's own form
  // posts, and the Origin check could not tell them from a foreign page's.
  'referrer-policy': 'same-origin',
  'content-security-policy': CONSOLE_CSP,
});

/** Every dynamic value of a page goes through `e()`. */
export const e = (v: string | number | boolean | undefined | null): string =>
  escapeHtml(v === undefined || v === null ? '' : String(v));

export const json = (v: unknown): string => `<pre>${e(JSON.stringify(v, null, 2))}</pre>`;

export const badge = (status: string): string => `<span class="badge s-${e(status)}">${e(status)}</span>`;

const NAV: [string, string][] = [
  ['/console/', 'Workflows'],
  ['/console/executions', 'Executions'],
  ['/console/outbox', 'Outbox'],
  ['/console/desk', 'Service desk'],
  ['/console/sandbox', 'Sandbox'],
];

export interface PageOptions {
  /** Refresh the `data-live` parts every second (the script stops when a refreshed page says 0). */
  live?: boolean;
  status?: string;
  flash?: string;
  error?: string;
}

export function consolePage(title: string, inner: string, o: PageOptions = {}, status = 200): HttpResponse {
  return {
    status,
    headers: { ...CONSOLE_HEADERS },
    body: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} · ghes-ops console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head><body data-live="${o.live ? 1 : 0}" data-status="${e(o.status ?? '')}">
<header><strong>ghes-ops console</strong>${NAV.map(([href, text]) => `<a href="${href}">${text}</a>`).join('')}</header>
<main>
${o.flash ? `<p class="flash" id="flash">${e(o.flash)}</p>` : ''}${o.error ? `<p class="error" id="error">${e(o.error)}</p>` : ''}
<h1>${e(title)}</h1>
${inner}
</main></body></html>
`,
  };
}

/** A POST form with the CSRF token; `fields` are trusted HTML (inputs), `button` a label. */
export function postForm(
  action: string,
  csrf: string,
  fields: string,
  button: string,
  o: { cls?: string; inline?: boolean; id?: string } = {},
): string {
  return (
    `<form method="post" action="${e(action)}"${o.inline ? ' class="inline"' : ''}${o.id ? ` id="${e(o.id)}"` : ''}>` +
    `<input type="hidden" name="csrf" value="${e(csrf)}">${fields}` +
    `<button type="submit"${o.cls ? ` class="${e(o.cls)}"` : ''}>${e(button)}</button></form>`
  );
}

export const redirect = (location: string): HttpResponse => ({
  status: 303,
  headers: { ...CONSOLE_HEADERS, location },
  body: '',
});
