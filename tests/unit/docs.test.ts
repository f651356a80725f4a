import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { aslToMermaid } from '../../scripts/asl-diagram.js';
import { withDiagram } from '../../scripts/generate-diagrams.js';
import { WORKFLOWS } from '../../shared/workflows.js';
import { ROOT } from '../helpers/local-world.js';

const keys = readdirSync(path.join(ROOT, 'statemachines'))
  .filter((f) => f.endsWith('.asl.json'))
  .map((f) => f.replace(/\.asl\.json$/, ''));

describe('workflow docs', () => {
  it.each(keys)('docs/workflows/%s.md carries the diagram of the current ASL (npm run docs)', (key) => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'workflows', `${key}.md`), 'utf8');
    const asl = JSON.parse(
      readFileSync(path.join(ROOT, 'statemachines', `${key}.asl.json`), 'utf8'),
    ) as unknown;
    expect(withDiagram(doc, aslToMermaid(asl))).toBe(doc);
    expect(doc).toMatch(/## Input/);
    expect(doc).toMatch(/## Errors/);
  });

  it.each(keys)('the CLI catalogue lists %s with its inputs', (key) => {
    const info = WORKFLOWS.find((w) => w.key === key);
    expect(info?.inputs.length).toBeGreaterThan(0);
  });

  it('draws catch edges dashed with their errors and waits with their duration', () => {
    const mermaid = aslToMermaid({
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: 'x', Catch: [{ ErrorEquals: ['Boom'], Next: 'F' }], Next: 'W' },
        W: { Type: 'Wait', Seconds: 5, Next: 'A' },
        F: { Type: 'Fail' },
      },
    });
    expect(mermaid).toContain('A -.->|"Boom"| F');
    expect(mermaid).toContain('W(["W (wait 5s)"])');
  });
});
