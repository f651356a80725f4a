import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isLambdaTask, LAMBDA_SERVICE_RETRY } from '../../shared/runtime/lambda-retry.js';
import { ROOT } from '../helpers/local-world.js';

type State = Record<string, unknown> & { Retry?: Record<string, unknown>[] };

/** Every state of a definition with its path, Parallel branches and Map processors included. */
function allStates(states: Record<string, State>, at = ''): [string, State][] {
  return Object.entries(states).flatMap(([name, state]) => {
    const here = `${at}${name}`;
    const inner = [
      ...((state.Branches as { States: Record<string, State> }[] | undefined) ?? []),
      ...[state.ItemProcessor ?? state.Iterator].filter(Boolean),
    ] as { States: Record<string, State> }[];
    return [[here, state] as [string, State], ...inner.flatMap((b) => allStates(b.States, `${here}/`))];
  });
}

const DIR = path.join(ROOT, 'statemachines');
const files = readdirSync(DIR).filter((f) => f.endsWith('.asl.json'));
const tasks = files.flatMap((file) => {
  const definition = JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as {
    States: Record<string, State>;
  };
  return allStates(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name, state]) => [`${file} ${name}`, state] as const);
});

describe('the Lambda service retry policy', () => {
  it('covers the errors AWS documents for invoking Lambda from Step Functions', () => {
    expect(LAMBDA_SERVICE_RETRY.ErrorEquals).toEqual(
      expect.arrayContaining([
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
      ]),
    );
  });

  it('finds the Lambda Task states of every state machine', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) expect(tasks.some(([name]) => name.startsWith(`${file} `))).toBe(true);
    expect(tasks.length).toBeGreaterThanOrEqual(36);
  });

  it.each(tasks)('%s: a Lambda Task whose Retry begins with exactly the policy', (_name, state) => {
    expect(isLambdaTask(state)).toBe(true);
    expect(state.Retry?.[0]).toEqual(LAMBDA_SERVICE_RETRY);
    // The state's own retries follow, and none of them retries a Lambda service error differently.
    for (const retrier of state.Retry?.slice(1) ?? [])
      expect((retrier.ErrorEquals as string[]).filter((e) => e.startsWith('Lambda.'))).toEqual([]);
  });
});
