import { InputValidationError } from '../errors.js';

/**
 * Checks that a step received the keys its state machine passes it. Step events are built by our
 * own ASL, so a missing key means the definition and the handler disagree: fail loudly.
 */
export function stepEvent<K extends string>(
  event: unknown,
  keys: readonly K[],
): Record<K, unknown> & Record<string, unknown> {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InputValidationError([{ field: '(event)', problem: 'must be a JSON object' }], 'step event');
  }
  const missing = keys.filter((k) => (event as Record<string, unknown>)[k] === undefined);
  if (missing.length) {
    throw new InputValidationError(
      missing.map((field) => ({
        field,
        problem: 'is missing: the state machine definition does not pass it to this step',
      })),
      'step event',
    );
  }
  return event as Record<K, unknown> & Record<string, unknown>;
}
