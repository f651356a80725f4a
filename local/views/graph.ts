import { escapeHtml } from '../../shared/github-app/pages.js';
import { aslGraph, type AslEdge, type AslGroup, type AslNode } from '../../scripts/asl-diagram.js';
import type { StateStatus } from './executions.js';

/**
 * The state machine drawn as SVG from the same graph as the docs' Mermaid diagrams
 * (scripts/asl-diagram.ts `aslGraph`): a layered layout (longest path from the start, back edges
 * drawn on the side), each state a box with `data-state` and a `st-<status>` class the console's
 * CSS colours, like the Step Functions graph view.
 */

const NODE_H = 30;
const LAYER_GAP = 64;
const NODE_GAP = 26;
const CHAR_W = 7;
const MARGIN = 24;

interface Placed extends AslNode {
  layer: number;
  x: number;
  y: number;
  w: number;
}

export interface LaidOutGraph {
  nodes: Placed[];
  edges: AslEdge[];
  groups: AslGroup[];
  width: number;
  height: number;
}

const nodeText = (n: AslNode): string =>
  n.type === 'Wait' && n.seconds !== undefined
    ? `${n.name} (wait ${n.seconds}s)`
    : n.callback
      ? `${n.name} (callback)`
      : n.name;

/** Lays the graph out in layers top to bottom. */
export function layoutGraph(definition: unknown): LaidOutGraph {
  const items = aslGraph(definition);
  const nodes = new Map<string, AslNode>();
  const edges: AslEdge[] = [];
  const groups: AslGroup[] = [];
  for (const i of items) {
    if ('node' in i) nodes.set(i.node.id, i.node);
    else if ('edge' in i) edges.push(i.edge);
    else if ('open' in i) groups.push(i.open);
  }
  const out = new Map<string, AslEdge[]>();
  for (const e of edges) (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e);
  // Back edges: those closing a cycle in a depth-first walk from the start (retry loops, polls).
  const back = new Set<AslEdge>();
  const state = new Map<string, 'open' | 'done'>();
  const order: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'open');
    for (const e of out.get(id) ?? []) {
      const s = state.get(e.to);
      if (s === 'open') back.add(e);
      else if (!s && nodes.has(e.to)) visit(e.to);
    }
    state.set(id, 'done');
    order.push(id);
  };
  visit('start');
  for (const id of nodes.keys()) if (!state.has(id)) visit(id);
  // Longest path layering over the forward edges, in topological order.
  const layer = new Map<string, number>();
  for (const id of order.reverse()) {
    const l = layer.get(id) ?? 0;
    layer.set(id, l);
    for (const e of out.get(id) ?? [])
      if (!back.has(e) && nodes.has(e.to)) layer.set(e.to, Math.max(layer.get(e.to) ?? 0, l + 1));
  }
  const layers: string[][] = [];
  for (const id of order) (layers[layer.get(id)!] ??= []).push(id);
  // Order within a layer by the mean position of the predecessors (one barycentre pass).
  const preds = new Map<string, string[]>();
  for (const e of edges) if (!back.has(e)) (preds.get(e.to) ?? preds.set(e.to, []).get(e.to)!).push(e.from);
  const xOf = new Map<string, number>();
  const placed: Placed[] = [];
  let width = 0;
  layers.forEach((ids, l) => {
    const keyed = ids.map((id, i) => {
      const ps = (preds.get(id) ?? []).map((p) => xOf.get(p)).filter((x): x is number => x !== undefined);
      return { id, key: ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : i * 1000 };
    });
    keyed.sort((a, b) => a.key - b.key);
    let x = MARGIN;
    for (const { id } of keyed) {
      const n = nodes.get(id)!;
      const w = Math.max(60, nodeText(n).length * CHAR_W + 20);
      const p: Placed = { ...n, layer: l, x, y: MARGIN + l * (NODE_H + LAYER_GAP), w };
      xOf.set(id, x + w / 2);
      placed.push(p);
      x += w + NODE_GAP;
    }
    width = Math.max(width, x);
  });
  // Centre each layer.
  for (const ids of layers) {
    const row = placed.filter((p) => ids.includes(p.id));
    const right = Math.max(...row.map((p) => p.x + p.w));
    const shift = (width - MARGIN - right) / 2;
    for (const p of row) p.x += shift;
  }
  return {
    nodes: placed,
    edges,
    groups,
    width: width + MARGIN + 120,
    height: MARGIN * 2 + layers.length * (NODE_H + LAYER_GAP),
  };
}

const shorten = (s: string, n = 36): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The SVG of a state machine, each state coloured by its status (states not in `status`: not run). */
export function graphSvg(definition: unknown, status: Record<string, StateStatus> = {}): string {
  const g = layoutGraph(definition);
  const at = new Map(g.nodes.map((n) => [n.id, n]));
  const parts: string[] = [];
  for (const grp of g.groups) {
    const inside = g.nodes.filter((n) => n.group === grp.id);
    if (!inside.length) continue;
    const x1 = Math.min(...inside.map((n) => n.x)) - 10;
    const y1 = Math.min(...inside.map((n) => n.y)) - 22;
    const x2 = Math.max(...inside.map((n) => n.x + n.w)) + 10;
    const y2 = Math.max(...inside.map((n) => n.y + NODE_H)) + 10;
    parts.push(
      `<g class="group"><rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" rx="6"/><text x="${x1 + 6}" y="${y1 + 14}">${escapeHtml(grp.label)}</text></g>`,
    );
  }
  for (const e of g.edges) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + a.w / 2;
    const y1 = a.y + NODE_H;
    const x2 = b.x + b.w / 2;
    const y2 = b.y;
    let d: string;
    let lx: number;
    let ly: number;
    if (b.layer > a.layer) {
      const my = (y1 + y2) / 2;
      d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
      lx = (x1 + x2) / 2;
      ly = my;
    } else {
      // A back edge: out of the right side of the source, round to the right side of the target.
      const sx = a.x + a.w;
      const sy = a.y + NODE_H / 2;
      const tx = b.x + b.w;
      const ty = b.y + NODE_H / 2;
      const bulge = Math.max(sx, tx) + 40;
      d = `M${sx},${sy} C${bulge},${sy} ${bulge},${ty} ${tx},${ty}`;
      lx = bulge - 10;
      ly = (sy + ty) / 2;
    }
    parts.push(
      `<g class="edge ${e.kind}"><path d="${d}" marker-end="url(#arrow)"/>${
        e.label
          ? `<text x="${lx}" y="${ly}"><title>${escapeHtml(e.label)}</title>${escapeHtml(shorten(e.label))}</text>`
          : ''
      }</g>`,
    );
  }
  for (const n of g.nodes) {
    const s = n.type === 'Start' ? 'start' : (status[n.name] ?? 'not-run');
    const rx =
      n.type === 'Choice' ? 14 : n.type === 'Succeed' || n.type === 'Wait' || n.type === 'Start' ? 15 : 3;
    parts.push(
      `<g class="state st-${s} t-${escapeHtml(n.type.toLowerCase())}" data-state="${escapeHtml(n.name)}" data-status="${s}">` +
        `<title>${escapeHtml(`${n.name} (${n.type}): ${s}`)}</title>` +
        `<rect x="${n.x}" y="${n.y}" width="${n.w}" height="${NODE_H}" rx="${rx}"/>` +
        `<text x="${n.x + n.w / 2}" y="${n.y + NODE_H / 2 + 4}">${escapeHtml(nodeText(n))}</text></g>`,
    );
  }
  return (
    `<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}" role="img" aria-label="state machine">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>` +
    parts.join('') +
    `</svg>`
  );
}
