import MarkdownIt from 'markdown-it';
import { cutAt } from './sanitize.js';

/**
 * Files attached to a `/reply` comment. GitHub uploads a file dropped into a comment and writes a
 * link or an image into the Markdown: `![name](https://<ghes>/user-attachments/assets/<uuid>)`,
 * `[name.zip](https://<ghes>/user-attachments/files/<id>/<name>)`, older
 * `https://<ghes>/<owner>/<repo>/files/<id>/<name>` and `/<owner>/<repo>/assets/<id>/<uuid>`, or
 * an HTML `<img src="...">` (its URL is found by linkify). The Markdown is read by markdown-it
 * (never regular expressions over the comment), and only URLs on the GHES's own origin with one
 * of those path shapes count: a comment can never make the desk fetch another host.
 */
export interface AttachmentLink {
  url: string;
  /** A file name for the mail: the path's name, else the link text or alt text, else the asset id. */
  name: string;
}

/** A file read from GHES, or the reason it is not attached. */
export type FetchedFile =
  | { ok: true; content: Uint8Array; contentType: string }
  | { ok: false; reason: 'too-large' | 'not-found' | 'failed'; detail?: string };

/** Reads an attachment from GHES (with the desk's token, on the GHES origin only). */
export interface AttachmentFetcher {
  /** The GHES web origin (`https://ghes.example.com`): only its attachment URLs are fetched. */
  origin(): string;
  fetchFile(url: string, maxBytes: number, timeoutMs?: number): Promise<FetchedFile>;
}

/** Built on first use: the receive function bundles this module but reads no comment Markdown. */
let md: InstanceType<typeof MarkdownIt> | undefined;
type Token = ReturnType<InstanceType<typeof MarkdownIt>['parse']>[number];
export const MAX_FILES_PER_REPLY = 10;
/** Time for reading all files of one reply (the webhook function's timeout is 30 s). */
export const FETCH_BUDGET_MS = 15_000;

/** Attachment links of a comment on `origin`, in order, each once (at most `MAX_FILES_PER_REPLY`). */
export function attachmentLinks(markdown: string, origin: string): AttachmentLink[] {
  const found = new Map<string, AttachmentLink>();
  const visit = (tokens: Token[]): void => {
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.children) visit(t.children);
      let href: string | null = null;
      let text = '';
      if (t.type === 'image') {
        href = String(t.attrGet('src') ?? '') || null;
        text = t.content;
      } else if (t.type === 'link_open') {
        href = String(t.attrGet('href') ?? '') || null;
        // A bare URL (linkify) has itself as its text: no name.
        if (t.markup !== 'linkify')
          for (let j = i + 1; j < tokens.length && tokens[j]!.type !== 'link_close'; j++)
            text += tokens[j]!.content;
      }
      if (!href || found.has(href)) continue;
      const name = attachmentName(href, origin, text);
      if (name) found.set(href, { url: href, name });
    }
  };
  visit((md ??= new MarkdownIt({ html: false, linkify: true })).parse(markdown, {}));
  return [...found.values()].slice(0, MAX_FILES_PER_REPLY);
}

/** The file name when `href` is an attachment URL on `origin`, else undefined. */
function attachmentName(href: string, origin: string, text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(href);
  } catch {
    return undefined;
  }
  if (u.origin !== origin || u.username || u.password) return undefined;
  const seg = u.pathname.split('/').slice(1).map(safeDecode);
  const id = (s: string | undefined): boolean => !!s && /^[A-Za-z0-9-]{1,64}$/.test(s);
  let fromPath: string | undefined;
  if (seg.length === 3 && seg[0] === 'user-attachments' && seg[1] === 'assets' && id(seg[2])) fromPath = '';
  else if (seg.length === 4 && seg[0] === 'user-attachments' && seg[1] === 'files' && id(seg[2]))
    fromPath = seg[3];
  else if (seg.length === 5 && seg[2] === 'files' && id(seg[3])) fromPath = seg[4];
  else if (seg.length === 5 && seg[2] === 'assets' && id(seg[3]) && id(seg[4])) fromPath = '';
  if (fromPath === undefined) return undefined;
  return safeFileName(fromPath || text.trim() || seg.at(-1) || 'attachment');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A file name safe in a MIME header and on any disk: letters and digits of any script (보고서.pdf
 * stays), `.`, `_`, `(`, `)`, `-` and spaces; no path, no control or format characters (no
 * right-to-left override), at most 100 characters.
 */
export function safeFileName(name: string): string {
  const flat = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._() -]+/gu, '_')
    .replace(/^[.\s_]+/, '')
    .trim();
  return cutAt(flat, 100) || 'attachment';
}

/**
 * File types SES refuses to send (its "unsupported attachment types"): such files are linked,
 * never attached, so the whole reply is not refused.
 */
const SES_REFUSED = new Set(
  (
    'ade adp app asp bas bat cer chm cmd com cpl crt csh der exe fxp gadget hlp hta inf ins isp its js ' +
    'jse ksh lib lnk mad maf mag mam maq mar mas mat mau mav maw mda mdb mde mdt mdw mdz msc msh msh1 ' +
    'msh2 mshxml msh1xml msh2xml msi msp mst ops pcd pif plg prf prg reg scf scr sct shb shs sys ps1 ' +
    'ps1xml ps2 ps2xml psc1 psc2 tmp url vb vbe vbs vps vsmacros vss vst vsw vxd ws wsc wsf wsh xnk'
  ).split(' '),
);

export function refusedByMail(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && SES_REFUSED.has(name.slice(dot + 1).toLowerCase());
}

/** A file for an outgoing mail. */
export interface MailFile {
  filename: string;
  contentType: string;
  content: Uint8Array;
}

export interface ReplyFiles {
  attached: MailFile[];
  /** Not attached, with why: the customer gets the link. */
  linked: { name: string; url: string; why: string }[];
}

/**
 * Fetches the attachments of a reply: each up to `maxBytes` is attached (all together up to
 * `maxTotal`); larger ones, refused types and files that could not be read are linked.
 */
export async function collectReplyFiles(
  note: string,
  fetcher: AttachmentFetcher | undefined,
  limits: { maxBytes: number; maxTotal: number; budgetMs?: number },
  now: () => number = Date.now,
): Promise<ReplyFiles> {
  const out: ReplyFiles = { attached: [], linked: [] };
  if (!fetcher) return out;
  let total = 0;
  // The webhook function has 30 s (API Gateway's limit too): all files share one budget.
  const deadline = now() + (limits.budgetMs ?? FETCH_BUDGET_MS);
  for (const link of attachmentLinks(note, fetcher.origin())) {
    if (refusedByMail(link.name)) {
      out.linked.push({ ...link, why: 'a file type mail servers refuse' });
      continue;
    }
    const left = deadline - now();
    if (left <= 0) {
      out.linked.push({ ...link, why: 'not read in time' });
      continue;
    }
    const room = Math.min(limits.maxBytes, limits.maxTotal - total);
    const f =
      room > 0
        ? await fetcher.fetchFile(link.url, room, left)
        : ({ ok: false, reason: 'too-large' } as const);
    if (f.ok) {
      out.attached.push({ filename: link.name, contentType: f.contentType, content: f.content });
      total += f.content.byteLength;
    } else if (f.reason === 'too-large') {
      out.linked.push({
        ...link,
        why:
          room < limits.maxBytes
            ? `the reply's attachments would exceed ${sizeText(limits.maxTotal)}`
            : `over ${sizeText(limits.maxBytes)}`,
      });
    } else {
      out.linked.push({
        ...link,
        why:
          f.reason === 'not-found'
            ? 'not found on GHES'
            : f.detail === 'timed out'
              ? 'not read in time'
              : 'could not be read',
      });
    }
  }
  return out;
}

/** 10485760 → "10 MB", 4096 → "4 KB". */
export function sizeText(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KB`;
  return `${n} bytes`;
}

/**
 * Reads `url` with `fetchFn`: the token only to `origin`; redirects (at most 3) followed by hand,
 * so the token never goes to another host (a storage redirect gets no credentials); the body read
 * as a stream and abandoned past `maxBytes`.
 */
export async function fetchLimited(
  fetchFn: typeof fetch,
  url: string,
  origin: string,
  token: () => Promise<string>,
  maxBytes: number,
  timeoutMs = 30_000,
): Promise<FetchedFile> {
  const signal = AbortSignal.timeout(timeoutMs);
  let target = url;
  try {
    for (let hop = 0; hop < 4; hop++) {
      const u = new URL(target);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return { ok: false, reason: 'failed' };
      const headers: Record<string, string> = {};
      if (u.origin === origin) headers.authorization = `token ${await token()}`;
      const res = await fetchFn(target, { headers, redirect: 'manual', signal });
      if (res.status >= 300 && res.status < 400) {
        const next = res.headers.get('location');
        await res.body?.cancel();
        if (!next) return { ok: false, reason: 'failed', detail: `${res.status} without a location` };
        target = new URL(next, target).toString();
        continue;
      }
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        return { ok: false, reason: 'not-found' };
      }
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, reason: 'failed', detail: `answered ${res.status}` };
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > maxBytes) {
        await res.body?.cancel();
        return { ok: false, reason: 'too-large' };
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (res.body) {
        const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > maxBytes) {
            await reader.cancel();
            return { ok: false, reason: 'too-large' };
          }
          chunks.push(value);
        }
      }
      const contentType = (res.headers.get('content-type') ?? 'application/octet-stream')
        .split(';')[0]!
        .trim();
      return {
        ok: true,
        content: Buffer.concat(chunks),
        contentType: /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i.test(contentType)
          ? contentType
          : 'application/octet-stream',
      };
    }
    return { ok: false, reason: 'failed', detail: 'too many redirects' };
  } catch (e) {
    return { ok: false, reason: 'failed', detail: signal.aborted ? 'timed out' : (e as Error).message };
  }
}
