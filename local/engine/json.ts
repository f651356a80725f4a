import { EngineError } from './errors.js';

/** Data as Step Functions and Lambda carry it: JSON text, parsed. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Round-trips `value` through JSON text, as every hop to and from Lambda or Step Functions does:
 * `undefined` becomes `null`, Dates become strings, functions and undefined fields disappear.
 * A value that cannot be serialized raises `errorName`.
 */
export function toJson(value: unknown, errorName = 'InvalidInput', what = 'value'): Json {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new EngineError(errorName, `The ${what} is not serializable to JSON: ${(error as Error).message}`);
  }
  return text === undefined ? null : (JSON.parse(text) as Json);
}

/** Size of the JSON text of `value` in UTF-8 bytes. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/** Replaces every occurrence of `search` in every string of `value` (keys untouched). */
export function replaceInStrings(value: Json, search: string, replacement: string): Json {
  if (typeof value === 'string')
    return value.includes(search) ? value.split(search).join(replacement) : value;
  if (Array.isArray(value)) return value.map((item) => replaceInStrings(item, search, replacement));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, replaceInStrings(v, search, replacement)]),
    );
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
