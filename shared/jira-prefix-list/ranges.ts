import { nodeNet } from '../runtime/builtins.js';
import { IpRangesInvalid } from '../runbook/errors.js';

/**
 * Atlassian's published IP ranges (https://ip-ranges.atlassian.com/, format in
 * ../shared/reference/ghes-appliance.md): `creationDate`, `syncToken`, `items[]` with `network`,
 * `mask_len`, `cidr`, `mask`, `region[]`, `product[]`, `direction[]`. The document is untrusted:
 * size-capped before parsing (JSON.parse is linear), every CIDR checked, unknown fields ignored.
 */
export interface AtlassianRanges {
  creationDate: string;
  syncToken: string;
  items: RangeItem[];
}

export interface RangeItem {
  cidr: string;
  family: 'IPv4' | 'IPv6';
  product: string[];
  direction: string[];
  region: string[];
}

export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;
const MAX_ITEMS = 20_000;

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;

/** A CIDR in canonical form (host bits zero, lower-case IPv6 as node prints it), or undefined. */
export function canonicalCidr(text: string): { cidr: string; family: 'IPv4' | 'IPv6' } | undefined {
  const m = /^([0-9A-Fa-f.:]{2,45})\/([0-9]{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const [, address = '', lenText = ''] = m;
  const len = Number(lenText);
  if (nodeNet().isIPv4(address)) {
    if (len > 32) return undefined;
    const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if ((n & mask) >>> 0 !== n) return undefined;
    return { cidr: `${address.split('.').map(Number).join('.')}/${len}`, family: 'IPv4' };
  }
  if (nodeNet().isIPv6(address)) {
    if (len > 128) return undefined;
    const big = ipv6ToBigInt(address);
    const hostBits = 128n - BigInt(len);
    if (hostBits > 0n && big % (1n << hostBits) !== 0n) return undefined;
    return { cidr: `${bigIntToIpv6(big)}/${len}`, family: 'IPv6' };
  }
  return undefined;
}

function ipv6ToBigInt(address: string): bigint {
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const o = v4[1].split('.').map(Number) as [number, number, number, number];
    text = text.replace(v4[1], `${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`);
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

function bigIntToIpv6(n: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.len).join(':')}`;
}

/** Parses the document; throws IpRangesInvalid naming what is wrong. */
export function parseAtlassianRanges(body: string): AtlassianRanges {
  if (Buffer.byteLength(body, 'utf8') > MAX_DOCUMENT_BYTES)
    throw new IpRangesInvalid(
      `The IP ranges document is larger than ${MAX_DOCUMENT_BYTES} bytes; refusing it.`,
    );
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    throw new IpRangesInvalid(`The IP ranges document is not JSON (${(error as Error).message}).`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new IpRangesInvalid(
      'The IP ranges document is not a JSON object with creationDate, syncToken and items.',
    );
  const d = doc as Record<string, unknown>;
  const syncToken =
    typeof d.syncToken === 'number' && Number.isFinite(d.syncToken)
      ? String(d.syncToken)
      : typeof d.syncToken === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(d.syncToken)
        ? d.syncToken
        : undefined;
  if (!syncToken) throw new IpRangesInvalid('The IP ranges document has no valid syncToken.');
  if (typeof d.creationDate !== 'string' || d.creationDate.length > 64)
    throw new IpRangesInvalid('The IP ranges document has no valid creationDate.');
  if (!Array.isArray(d.items)) throw new IpRangesInvalid('The IP ranges document has no items[] list.');
  if (d.items.length > MAX_ITEMS)
    throw new IpRangesInvalid(
      `The IP ranges document lists ${d.items.length} items, more than ${MAX_ITEMS}.`,
    );
  const items: RangeItem[] = [];
  const bad: string[] = [];
  for (const [i, raw] of d.items.entries()) {
    const item = (raw ?? {}) as Record<string, unknown>;
    const c = typeof item.cidr === 'string' ? canonicalCidr(item.cidr) : undefined;
    const product = strings(item.product);
    const direction = strings(item.direction);
    const region = strings(item.region) ?? [];
    if (!c || !product || !direction) {
      if (bad.length < 5) bad.push(`items[${i}] ${JSON.stringify(raw).slice(0, 80)}`);
      continue;
    }
    items.push({ cidr: c.cidr, family: c.family, product, direction, region });
  }
  if (bad.length)
    throw new IpRangesInvalid(
      `The IP ranges document has items without a valid cidr, product[] or direction[]: ${bad.join('; ')}. Nothing was changed.`,
    );
  return { creationDate: d.creationDate, syncToken, items };
}

/** The distinct CIDRs for any of `products` and any of `directions`, per family, sorted. */
export function selectRanges(
  ranges: AtlassianRanges,
  products: readonly string[],
  directions: readonly string[],
): { IPv4: string[]; IPv6: string[] } {
  const out = { IPv4: new Set<string>(), IPv6: new Set<string>() };
  for (const item of ranges.items) {
    if (!item.product.some((p) => products.includes(p))) continue;
    if (!item.direction.some((d) => directions.includes(d))) continue;
    out[item.family].add(item.cidr);
  }
  return { IPv4: [...out.IPv4].sort(), IPv6: [...out.IPv6].sort() };
}
