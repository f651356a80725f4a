/**
 * Each state's status as the graph colours it, from a history: retries, catches, waits, callbacks,
 * loops; and secrets (task tokens) masked in every view.
 */
import { describe, expect, it } from '@jest/globals';
import type { HistoryEvent } from '../../local/engine/history.js';
import { stateViews } from '../../local/views/executions.js';

let id = 0;
const ev = (
  type: HistoryEvent['type'],
  stateName: string,
  more: Partial<HistoryEvent> = {},
): HistoryEvent => ({
  id: ++id,
  type,
  timestamp: `2026-01-01T00:00:${String(id).padStart(2, '0')}.000Z`,
  workflowTimestamp: `2026-01-01T01:00:${String(id).padStart(2, '0')}.000Z`,
  stateName,
  ...more,
});

describe('stateViews', () => {
  it('colours retried, caught, waiting and looping states, keeping the last input and output', () => {
    const states = stateViews(
      [
        ev('StateEntered', 'Check', { stateType: 'Task', input: { n: 1 } }),
        ev('LambdaFunctionScheduled', 'Check'),
        ev('LambdaFunctionFailed', 'Check', { error: 'ApplianceUnreachable', cause: 'ssh timed out' }),
        ev('StateRetried', 'Check', { attempt: 1, errorEquals: ['ApplianceUnreachable'] }),
        ev('LambdaFunctionScheduled', 'Check'),
        ev('StateExited', 'Check', { output: { ok: true } }),
        ev('StateEntered', 'Promote', { stateType: 'Task' }),
        ev('StateFailed', 'Promote', { error: 'PromotionFailed', cause: 'exit 1' }),
        ev('StateCaught', 'Promote', { errorEquals: ['States.ALL'], next: 'Restore' }),
        ev('StateEntered', 'WaitForDrain', { stateType: 'Wait', waitSeconds: 15 }),
        ev('StateExited', 'WaitForDrain'),
        ev('StateEntered', 'WaitForDrain', { stateType: 'Wait', waitSeconds: 15 }),
        ev('StateEntered', 'RequestApproval', {
          stateType: 'Task',
          input: { taskToken: 'secret-token', who: 'ops' },
        }),
        ev('TaskTokenIssued', 'RequestApproval', { taskToken: 'secret-token', timeoutSeconds: 1800 }),
      ],
      [],
    );
    expect(states.Check).toMatchObject({
      status: 'succeeded',
      entered: 1,
      input: { n: 1 },
      output: { ok: true },
      retries: [{ attempt: 1, error: 'ApplianceUnreachable', errorEquals: ['ApplianceUnreachable'] }],
    });
    expect(states.Check?.error).toBeUndefined();
    expect(states.Promote).toMatchObject({ status: 'caught', error: 'PromotionFailed' });
    expect(states.WaitForDrain).toMatchObject({ status: 'waiting', entered: 2, waitSeconds: 15 });
    expect(states.RequestApproval).toMatchObject({ status: 'waiting', waitSeconds: 1800 });
    expect(JSON.stringify(states)).not.toContain('secret-token');
  });

  it('a state whose retry is pending shows retrying; a failure left uncaught shows failed', () => {
    const states = stateViews(
      [
        ev('StateEntered', 'Upload', { stateType: 'Task' }),
        ev('LambdaFunctionFailed', 'Upload', { error: 'Lambda.ServiceException' }),
        ev('StateRetried', 'Upload', { attempt: 1 }),
        ev('StateEntered', 'Notify', { stateType: 'Task' }),
        ev('StateFailed', 'Notify', { error: 'MailDeliveryFailed' }),
      ],
      [],
    );
    expect(states.Upload?.status).toBe('retrying');
    expect(states.Notify).toMatchObject({ status: 'failed', error: 'MailDeliveryFailed' });
  });
});
