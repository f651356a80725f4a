import { readFile } from 'node:fs/promises';
import { InputValidationError } from '../../shared/errors.js';

/** `--input '{"ticket":"1234567"}'` or `--input @input.json`; missing means `{}`. */
export async function readInputArg(value: string | undefined): Promise<unknown> {
  if (value === undefined) return {};
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = await readFile(value.slice(1), 'utf8');
    } catch {
      throw new InputValidationError(
        [{ field: '--input', problem: `cannot read the file ${value.slice(1)}` }],
        'command line',
      );
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputValidationError(
      [
        {
          field: '--input',
          problem: `is not valid JSON (${(e as Error).message}); quote it in single quotes, e.g. --input '{"ticket":"1234567"}'`,
        },
      ],
      'command line',
    );
  }
}
