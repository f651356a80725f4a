import type { Deps } from '../runtime/deps.js';
import { actionsSyncPrefix } from './request.js';

/**
 * The upgrade watch: upgrades replace the bundled actions, so when `installed_version` of
 * `GET /api/v3/meta` differs from the last seen version (kept in the parameter store), start an
 * actions-sync execution. The first observation only records the version.
 */
export interface WatchResult {
  installedVersion: string;
  lastSeen: string | null;
  started?: string;
}

export async function watchUpgrade(
  input: unknown,
  deps: Pick<Deps, 'config' | 'executions' | 'ghesApi' | 'log' | 'params'>,
): Promise<WatchResult> {
  const name = `${actionsSyncPrefix(deps)}/last-seen-version`;
  const url = await deps.ghesApi.baseUrl();
  const meta = await deps.ghesApi.get(url, '/meta');
  const installed = (meta.body as { installed_version?: unknown } | undefined)?.installed_version;
  if (meta.status !== 200 || typeof installed !== 'string' || !/^\d+\.\d+\.\d+$/.test(installed)) {
    const { GhesApiError } = await import('./errors.js');
    throw new GhesApiError(`GET ${url}/api/v3/meta answered HTTP ${meta.status} without installed_version.`);
  }
  const lastSeen = (await deps.params.get(name)) ?? null;
  if (lastSeen === installed) return { installedVersion: installed, lastSeen };
  let started: string | undefined;
  if (lastSeen !== null) {
    const syncInput = {
      ...((input && typeof input === 'object' && !Array.isArray(input)
        ? (input as Record<string, unknown>).syncInput
        : undefined) as object | undefined),
      reason: `GHES upgraded from ${lastSeen} to ${installed}`,
    };
    const exec = await deps.executions.start(
      'actions-sync',
      syncInput,
      `upgrade-${installed.replaceAll('.', '-')}`,
    );
    started = exec.executionArn;
    deps.log.info('GHES version changed: actions-sync started', {
      lastSeen,
      installed,
      executionArn: started,
    });
  }
  await deps.params.put(name, installed, { secure: false, overwrite: true });
  return { installedVersion: installed, lastSeen, ...(started ? { started } : {}) };
}
