/**
 * Mermaid flowchart of an ASL definition: states as nodes, Next/Default/Choices/Catch as edges
 * (Catch edges dashed and labelled with the errors), Map/Parallel bodies as subgraphs.
 */
type State = Record<string, unknown> & { Type: string };
interface Machine {
  StartAt: string;
  States: Record<string, State>;
}

const id = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');
const label = (s: string): string => s.replace(/"/g, "'");

function shape(name: string, state: State): string {
  const n = `${id(name)}`;
  const text = label(name);
  switch (state.Type) {
    case 'Choice':
      return `${n}{"${text}"}`;
    case 'Wait':
      return `${n}(["${text} (wait ${typeof state.Seconds === 'number' ? state.Seconds : '?'}s)"])`;
    case 'Succeed':
      return `${n}(["${text}"])`;
    case 'Fail':
      return `${n}[["${text}"]]`;
    case 'Task': {
      const callback = typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken');
      return `${n}["${text}${callback ? ' (waits for callback)' : ''}"]`;
    }
    default:
      return `${n}["${text} (${state.Type})"]`;
  }
}

function walk(machine: Machine, lines: string[], indent: string): void {
  for (const [name, state] of Object.entries(machine.States)) {
    lines.push(`${indent}${shape(name, state)}`);
    const from = id(name);
    if (typeof state.Next === 'string') lines.push(`${indent}${from} --> ${id(state.Next)}`);
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
        lines.push(`${indent}${from} -->|"${label(cond)}"| ${id(String(choice.Next))}`);
      }
      if (typeof state.Default === 'string')
        lines.push(`${indent}${from} -->|otherwise| ${id(state.Default)}`);
    }
    for (const c of (state.Catch as { ErrorEquals: string[]; Next: string }[] | undefined) ?? []) {
      lines.push(`${indent}${from} -.->|"${label(c.ErrorEquals.join(', '))}"| ${id(c.Next)}`);
    }
    const body = (state.ItemProcessor ?? state.Iterator) as Machine | undefined;
    const branches = (state.Branches as Machine[] | undefined) ?? (body ? [body] : []);
    branches.forEach((b, i) => {
      lines.push(
        `${indent}subgraph ${from}_body${i}["${label(name)} ${body ? 'for each item' : `branch ${i + 1}`}"]`,
      );
      walk(b, lines, indent + '  ');
      lines.push(`${indent}end`);
      lines.push(`${indent}${from} --> ${id(b.StartAt)}`);
    });
  }
}

export function aslToMermaid(definition: unknown): string {
  const machine = definition as Machine;
  const lines = ['flowchart TD', `  start((start)) --> ${id(machine.StartAt)}`];
  walk(machine, lines, '  ');
  return lines.join('\n');
}
