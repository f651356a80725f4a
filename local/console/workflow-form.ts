import type { InputField, WorkflowInfo } from '../../shared/workflows.js';
import { e } from './html.js';

/**
 * The start form of a workflow, generated from its inputs in shared/workflows.ts (the catalogue
 * `ghes-ops workflows` lists), prefilled with its example; and the execution input made of a
 * submitted form. The handlers validate the input as for any other trigger: the form only types it.
 */
type Kind = 'boolean' | 'number' | 'enum' | 'string' | 'list' | 'json';

const ENUM = /^\s*"[^"]*"(?:\s*\|\s*"[^"]*")+\s*$/;

function kindOf(f: InputField): { kind: Kind; options?: string[] } {
  const t = f.type.trim();
  if (t === 'boolean') return { kind: 'boolean' };
  if (t === 'integer' || t === 'number') return { kind: 'number' };
  if (ENUM.test(t)) return { kind: 'enum', options: [...t.matchAll(/"([^"]*)"/g)].map((m) => m[1]!) };
  if (t === 'string') return { kind: 'string' };
  if (t === 'string[]') return { kind: 'list' };
  return { kind: 'json' };
}

const fieldName = (f: InputField): string => `in.${f.name}`;

function control(f: InputField, example: unknown): string {
  const { kind, options } = kindOf(f);
  const id = `f-${f.name}`;
  const name = e(fieldName(f));
  switch (kind) {
    case 'boolean': {
      const v = example === true ? 'true' : example === false ? 'false' : '';
      return `<select id="${id}" name="${name}">${['', 'true', 'false']
        .map((o) => `<option value="${o}"${o === v ? ' selected' : ''}>${o || '(not set)'}</option>`)
        .join('')}</select>`;
    }
    case 'enum':
      return `<select id="${id}" name="${name}"><option value="">(not set)</option>${options!
        .map((o) => `<option${o === example ? ' selected' : ''}>${e(o)}</option>`)
        .join('')}</select>`;
    case 'number':
      return `<input type="number" id="${id}" name="${name}" value="${typeof example === 'number' ? example : ''}">`;
    case 'string':
      return `<input type="text" id="${id}" name="${name}" value="${typeof example === 'string' ? e(example) : ''}">`;
    case 'list':
      return `<textarea id="${id}" name="${name}" rows="2" placeholder="one per line">${Array.isArray(example) ? e(example.join('\n')) : ''}</textarea>`;
    default:
      return `<textarea id="${id}" name="${name}" rows="4" placeholder="JSON">${example === undefined ? '' : e(JSON.stringify(example, null, 2))}</textarea>`;
  }
}

/** The form's fields (inside a POST form that adds the CSRF token). */
export function workflowFields(w: WorkflowInfo): string {
  return (
    w.inputs
      .map(
        (f) =>
          `<label for="f-${e(f.name)}">${e(f.name)}${f.required ? ' *' : ''} <span class="muted">${e(f.type)}</span></label>` +
          `${control(f, w.example[f.name])}<div class="muted">${e(f.description)}</div>`,
      )
      .join('') +
    `<label for="f-name">execution name <span class="muted">optional</span></label><input type="text" id="f-name" name="name" value="" pattern="[A-Za-z0-9_-]{1,80}">`
  );
}

export class FormInputError extends Error {
  override readonly name = 'FormInputError';
}

/** The execution input of a submitted form: empty fields are left out. */
export function inputFromForm(w: WorkflowInfo, form: URLSearchParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const f of w.inputs) {
    const raw = form.get(fieldName(f));
    if (raw === null || raw.trim() === '') continue;
    const { kind } = kindOf(f);
    if (kind === 'boolean') input[f.name] = raw === 'true';
    else if (kind === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new FormInputError(`${f.name}: "${raw}" is not a number`);
      input[f.name] = n;
    } else if (kind === 'list')
      input[f.name] = raw
        .split(/[\n,]/)
        .map((s) => s.trim())
        .filter(Boolean);
    else if (kind === 'json') {
      try {
        input[f.name] = JSON.parse(raw) as unknown;
      } catch {
        throw new FormInputError(`${f.name}: not valid JSON (${f.type})`);
      }
    } else input[f.name] = raw;
  }
  return input;
}
