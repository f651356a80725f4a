import type { CommandSpec } from '../command-registry.js';
import { cat } from './cat.js';
import { gheClusterSupportBundle } from './ghe-cluster-support-bundle.js';
import { gheMaintenance } from './ghe-maintenance.js';
import { gheOrgAdminPromote } from './ghe-org-admin-promote.js';
import { gheReplDecommission } from './ghe-repl-decommission.js';
import { gheReplPromote } from './ghe-repl-promote.js';
import { gheReplStatus } from './ghe-repl-status.js';
import { gheReplTeardown } from './ghe-repl-teardown.js';
import { gheSupportBundle } from './ghe-support-bundle.js';
import { gheSupportUpload } from './ghe-support-upload.js';
import { gheVersion } from './ghe-version.js';
import { tail } from './tail.js';
import { uname } from './uname.js';

/** The commands every sandbox appliance starts with. Add new ones with `sandbox.registerCommand`. */
export const BUILTIN_COMMANDS: readonly CommandSpec[] = [
  cat,
  gheClusterSupportBundle,
  gheMaintenance,
  gheOrgAdminPromote,
  gheReplDecommission,
  gheReplPromote,
  gheReplStatus,
  gheReplTeardown,
  gheSupportBundle,
  gheSupportUpload,
  gheVersion,
  tail,
  uname,
];
