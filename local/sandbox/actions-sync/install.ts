import type { ParameterStore } from '../../../shared/params/parameter-store.js';
import { FetchGhesApi } from '../../../shared/ghes/fetch-ghes-api.js';
import type { GhesApi } from '../../../shared/ghes/ghes-api.js';
import { SANDBOX_PRIMARY } from '../appliance-names.js';
import { addActionsSyncRoutes } from '../ghes/actions-sync-routes.js';
import { SandboxGhes } from '../ghes/ghes-server.js';
import type { Sandbox } from '../sandbox.js';
import { actionsSyncCommands } from './commands.js';
import { ActionsSyncSim } from './sim.js';

/** The default list the sandbox puts in `${prefix}/actions-sync/list`. */
const SANDBOX_ACTIONS_LIST = `# approved actions (sandbox)
actions/checkout
actions/setup-node
actions/upload-artifact
actions/cache
8398a7/action-slack:actions/action-slack
`;

const SANDBOX_OPS_REPO_FILE = 'ops/ghes-config/actions-sync.txt';

export interface ActionsSyncSandbox {
  sim: ActionsSyncSim;
  ghes: SandboxGhes;
  /** The GHES API over loopback HTTP (the server starts on first use). */
  api: GhesApi;
  /** The parameter store with the actions-sync names kept in the sandbox. */
  params: ParameterStore;
  /** The token issued for octocat (tests search histories and logs for it). */
  token: string;
  close(): Promise<void>;
}

/**
 * Adds actions-sync to a sandbox: the commands, the GHES endpoints, a PAT for octocat in
 * `${prefix}/actions-sync/token` (SecureString), the list in `${prefix}/actions-sync/list`, and the
 * scenario's faults. Without a fault scenario, octocat owns `actions` (as after
 * `ghe-org-admin-promote -u octocat -o actions`) and the linux_amd64 build is installed.
 */
export function installActionsSync(
  sandbox: Sandbox,
  inner: ParameterStore,
  parameterPrefix: string,
): ActionsSyncSandbox {
  const prefix = `${parameterPrefix.replace(/\/$/, '')}/actions-sync/`;
  const sim = new ActionsSyncSim(prefix);
  const ghes = new SandboxGhes(sandbox);
  const files = new Map([[SANDBOX_OPS_REPO_FILE, SANDBOX_ACTIONS_LIST]]);
  addActionsSyncRoutes(ghes, files, sim.synced);
  for (const spec of actionsSyncCommands(sim, ghes)) sandbox.registerCommand(spec, { replace: true });

  const on = new Set(sandbox.scenario.split('+'));
  for (const name of sandbox.applianceNames) {
    sim.binaries.set(name, on.has('actions-sync-386-binary') ? '386' : 'amd64');
    // The installed file: `file -L`, the wrapper's --binary and `PATH version` find it.
    sandbox.writeFile(name, sim.binaryPath, '<ELF executable>');
  }
  if (!on.has('actions-sync-not-owner')) sandbox.addOrganization('actions', ['octocat']);
  if (on.has('actions-sync-one-fails')) sim.missingUpstream.add('actions/does-not-exist');
  if (on.has('actions-sync-transient')) sim.transient.set('actions/checkout', 1);
  const scopes = on.has('actions-sync-no-workflow-scope') ? ['repo'] : ['repo', 'workflow'];
  const token = ghes.issueToken('octocat', scopes);

  const params = sim.scopedParams(inner);
  void params.put(`${prefix}token`, token, { secure: true, overwrite: true });
  const list = on.has('actions-sync-one-fails')
    ? SANDBOX_ACTIONS_LIST.replace('actions/cache\n', 'actions/cache\nactions/does-not-exist\n')
    : SANDBOX_ACTIONS_LIST;
  void params.put(`${prefix}list`, list, { secure: false, overwrite: true });
  if (on.has('actions-sync-version-changed'))
    void params.put(`${prefix}last-seen-version`, '3.17.2', { secure: false, overwrite: true });

  let started: Promise<string> | undefined;
  const api = new FetchGhesApi({ baseUrl: () => (started ??= ghes.start().then((s) => s.url)) });
  void SANDBOX_PRIMARY;
  return {
    sim,
    ghes,
    api,
    params,
    token,
    close: async () => {
      if (started) await started.then(() => ghes.close());
    },
  };
}
