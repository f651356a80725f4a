import { command, type ApplianceCommand } from './command.js';

/**
 * actions-sync command builders. The destination token is NEVER an argument: commands run through
 * `ghes-ops-actions-sync --binary PATH --token-parameter NAME -- ...`, a wrapper installed on the host next to
 * actions-sync that reads the SecureString NAME with the instance profile
 * (`aws ssm get-parameter --with-decryption`) and passes it to actions-sync itself. The SSM
 * command, the SSH line and the execution history therefore hold only the parameter's name.
 */
export interface ActionsSyncCall {
  tokenParameter: string;
  cacheDir: string;
  destinationUrl: string;
  /** `owner/repo` or `upstream/repo:dest_owner/dest_repo`, already validated. */
  repoName: string;
  defaultBranchOnly: boolean;
  batchSize?: number;
  actionsAdminUser?: string;
  githubAppAuth: boolean;
  /** The actions-sync binary the preflight checked; the wrapper runs exactly this file. */
  binaryPath: string;
}

export function actionsSyncSync(call: ActionsSyncCall): ApplianceCommand {
  const args = [
    'sync',
    '--cache-dir',
    call.cacheDir,
    '--destination-url',
    call.destinationUrl,
    '--repo-name',
    call.repoName,
  ];
  if (call.defaultBranchOnly) args.push('--default-branch-only');
  if (call.batchSize !== undefined) args.push('--batch-size', String(call.batchSize));
  if (call.actionsAdminUser) args.push('--actions-admin-user', call.actionsAdminUser);
  if (call.githubAppAuth) args.push('--github-app-auth');
  return command(
    'ghes-ops-actions-sync',
    '--binary',
    call.binaryPath,
    '--token-parameter',
    call.tokenParameter,
    '--',
    ...args,
  );
}

/** `PATH version` of the binary itself (not whatever `actions-sync` the PATH finds first). */
export function actionsSyncVersion(binaryPath: string): ApplianceCommand {
  return command(binaryPath, 'version');
}

/** `file -L PATH`: the ELF header tells the binary's build (Intel 80386, x86-64, ARM aarch64). */
export function binaryInfo(path: string): ApplianceCommand {
  return command('file', '-L', path);
}

export function hostArch(): ApplianceCommand {
  return command('uname', '-m');
}
