import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { command, pipe, type ApplianceCommand } from '../../shared/appliance/command.js';
import type { CommandResult } from '../../shared/appliance/runner.js';
import { manualClock, type ManualClock } from '../../local/sandbox/manual-clock.js';
import { Sandbox, type SandboxOptions } from '../../local/sandbox/sandbox.js';

/** A fixture from tests/fixtures/appliance, as bytes-exact text. */
export function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/appliance/${name}`, import.meta.url)), 'utf8');
}

/** A sandbox on a manual clock (starts 2025-06-02T09:00:00Z): exact virtual times, instant runs. */
export function manualSandbox(opts: Omit<SandboxOptions, 'clock'> = {}): {
  sandbox: Sandbox;
  clock: ManualClock;
} {
  const clock = manualClock();
  return { sandbox: new Sandbox({ ...opts, clock }), clock };
}

/** Runs a command to completion through the sandbox's CommandRunner. */
export function run(sandbox: Sandbox, target: string, cmd: ApplianceCommand): Promise<CommandResult> {
  return sandbox.runner.run(target, cmd, { timeoutSeconds: 86_400 });
}

export { command, pipe };
