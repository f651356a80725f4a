import type { CommandSpec } from '../command-registry.js';
import { supportBundle } from './support-bundle.js';

export const gheClusterSupportBundle: CommandSpec = {
  name: 'ghe-cluster-support-bundle',
  description:
    'Generate a support bundle with data from every node (same flags as ghe-support-bundle); long-running.',
  run: (ctx) => supportBundle(ctx, 'cluster'),
};
