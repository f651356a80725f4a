/**
 * The graph of an ASL definition: states as nodes, Next/Default/Choices/Catch as edges (Catch edges
 * labelled with the errors), Map/Parallel bodies as groups. Two renderings of the one graph: the
 * Mermaid flowchart of the docs (`aslToMermaid`, npm run docs) and the local console's SVG
 * (local/views/graph.ts), so the console draws what the docs show.
 */
type State = Record<string, unknown> & { Type: string };
interface Machine {
  StartAt: string;
  States: Record<string, State>;
}

export interface AslNode {
  /** Mermaid-safe id (unique per state name). */
  id: string;
  /** The state's name as in the ASL. */
  name: string;
  type: string;
  /** Wait: its static Seconds. */
  seconds?: number;
  /** Task: a `.waitForTaskToken` callback. */
  callback?: boolean;
  /** The id of the group (Map/Parallel body) it is in. */
  group?: string;
}

export interface AslEdge {
  from: string;
  to: string;
  label?: string;
  kind: 'next' | 'choice' | 'default' | 'catch' | 'body';
}

export interface AslGroup {
  id: string;
  label: string;
  parent?: string;
}

/** The graph in the order the Mermaid text lists it (nodes, their edges, groups opened and closed). */
export type AslItem = { node: AslNode } | { edge: AslEdge } | { open: AslGroup } | { close: AslGroup };

const id = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');
const label = (s: string): string => s.replace(/"/g, "'");

function walk(machine: Machine, items: AslItem[], group: string | undefined): void {
  for (const [name, state] of Object.entries(machine.States)) {
    const from = id(name);
    items.push({
      node: {
        id: from,
        name,
        type: state.Type,
        ...(state.Type === 'Wait' && typeof state.Seconds === 'number' ? { seconds: state.Seconds } : {}),
        ...(state.Type === 'Task' &&
        typeof state.Resource === 'string' &&
        state.Resource.endsWith('.waitForTaskToken')
          ? { callback: true }
          : {}),
        ...(group ? { group } : {}),
      },
    });
    if (typeof state.Next === 'string') items.push({ edge: { from, to: id(state.Next), kind: 'next' } });
    if (state.Type === 'Choice') {
      for (const choice of (state.Choices as Record<string, unknown>[]) ?? []) {
        const cond = Object.entries(choice)
          .filter(([k]) => k !== 'Next')
          .map(([k, v]) =>
            k === 'Variable'
              ? String(v).replace(/^\$\./, '')
              : `${k.replace(/Equals$/, '=')} ${JSON.stringify(v)}`,
          )
          .join(' ');
        items.push({ edge: { from, to: id(String(choice.Next)), label: cond, kind: 'choice' } });
      }
      if (typeof state.Default === 'string')
        items.push({ edge: { from, to: id(state.Default), label: 'otherwise', kind: 'default' } });
    }
    for (const c of (state.Catch as { ErrorEquals: string[]; Next: string }[] | undefined) ?? []) {
      items.push({ edge: { from, to: id(c.Next), label: c.ErrorEquals.join(', '), kind: 'catch' } });
    }
    const body = (state.ItemProcessor ?? state.Iterator) as Machine | undefined;
    const branches = (state.Branches as Machine[] | undefined) ?? (body ? [body] : []);
    branches.forEach((b, i) => {
      const g: AslGroup = {
        id: `${from}_body${i}`,
        label: `${name} ${body ? 'for each item' : `branch ${i + 1}`}`,
        ...(group ? { parent: group } : {}),
      };
      items.push({ open: g });
      walk(b, items, g.id);
      items.push({ close: g });
      items.push({ edge: { from, to: id(b.StartAt), kind: 'body' } });
    });
  }
}

/** The graph of a definition; the first node is the `start` pseudo-state. */
export function aslGraph(definition: unknown): AslItem[] {
  const machine = definition as Machine;
  const items: AslItem[] = [
    { node: { id: 'start', name: 'start', type: 'Start' } },
    { edge: { from: 'start', to: id(machine.StartAt), kind: 'next' } },
  ];
  walk(machine, items, undefined);
  return items;
}

function shape(node: AslNode): string {
  const n = node.id;
  const text = label(node.name);
  switch (node.type) {
    case 'Choice':
      return `${n}{"${text}"}`;
    case 'Wait':
      return `${n}(["${text} (wait ${node.seconds ?? '?'}s)"])`;
    case 'Succeed':
      return `${n}(["${text}"])`;
    case 'Fail':
      return `${n}[["${text}"]]`;
    case 'Task':
      return `${n}["${text}${node.callback ? ' (waits for callback)' : ''}"]`;
    default:
      return `${n}["${text} (${node.type})"]`;
  }
}

/** Mermaid flowchart of an ASL definition (the docs' diagrams). */
export function aslToMermaid(definition: unknown): string {
  const items = aslGraph(definition);
  const lines = ['flowchart TD'];
  let depth = 1;
  const pad = (): string => '  '.repeat(depth);
  // The start pseudo-state and its edge are one line: `start((start)) --> First`.
  const [, first, ...rest] = items;
  lines.push(`  start((start)) --> ${'edge' in first! ? first.edge.to : ''}`);
  for (const item of rest) {
    if ('node' in item) lines.push(`${pad()}${shape(item.node)}`);
    else if ('open' in item) {
      lines.push(`${pad()}subgraph ${item.open.id}["${label(item.open.label)}"]`);
      depth++;
    } else if ('close' in item) {
      depth--;
      lines.push(`${pad()}end`);
    } else {
      const e = item.edge;
      if (e.kind === 'catch') lines.push(`${pad()}${e.from} -.->|"${label(e.label ?? '')}"| ${e.to}`);
      else if (e.kind === 'choice') lines.push(`${pad()}${e.from} -->|"${label(e.label ?? '')}"| ${e.to}`);
      else if (e.kind === 'default') lines.push(`${pad()}${e.from} -->|otherwise| ${e.to}`);
      else lines.push(`${pad()}${e.from} --> ${e.to}`);
    }
  }
  return lines.join('\n');
}
