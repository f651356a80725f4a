import { readLock } from '../../shared/failover/lock.js';
import type { LocalWorld } from '../world.js';

/**
 * Ctrl-C (SIGINT) or SIGTERM during `ghes-ops run`: the first one stops the execution through the
 * same path as StopExecution in AWS (the engine's ABORTED status event, the execution-ended rule,
 * `failoverExecutionEnded`: a failover stopped before promotion takes maintenance mode off again,
 * releases its lock and mails what happened), and the run ends once that handler has finished.
 * A second signal exits at once, saying what was left.
 */
export function stopOnSignal(
  world: LocalWorld,
  executionArn: string,
  write: (line: string) => void,
  exit: (code: number) => void = (code) => process.exit(code),
): { stopped: () => string | undefined; dispose: () => void } {
  let first: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!first) {
      first = signal;
      write(
        `\n${signal}: stopping ${executionArn.split(':').at(-1)} safely (as StopExecution): a failover stopped before promotion takes maintenance mode off again and releases its lock. ${signal} again to exit at once.`,
      );
      void world.engine.stopExecution(
        executionArn,
        'Interrupted',
        `${signal} from the operator (ghes-ops run)`,
      );
      return;
    }
    void leftBehind(world, executionArn).then(
      (left) => {
        write(`\n${signal} again: exiting now. Left behind: ${left}`);
        exit(130);
      },
      () => exit(130),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped: () => first,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** What an immediate exit leaves: the failover lock and its phase, as far as this process knows. */
async function leftBehind(world: LocalWorld, executionArn: string): Promise<string> {
  const lock = await readLock(world.deps).catch(() => undefined);
  if (lock?.owner !== executionArn)
    return 'no failover lock of this execution (nothing to clean up, or the clean-up finished).';
  const phase = lock.phase;
  return [
    `the failover lock is still held by ${executionArn} (a later execution takes it over as stale).`,
    phase === 'promoting'
      ? `PROMOTION OF ${lock.replica} MAY BE RUNNING: check it (ghe-repl-status, ghe-maintenance -q) and the DNS / load balancer by hand.`
      : phase === 'replica-maintenance'
        ? `${lock.primary} and ${lock.replica} may be in maintenance mode: run \`ghe-maintenance -u\` on each.`
        : phase === 'fencing'
          ? `${lock.primary} may be in maintenance mode: run \`ghe-maintenance -u\` on it.`
          : 'nothing had been changed on the appliances.',
  ].join(' ');
}
