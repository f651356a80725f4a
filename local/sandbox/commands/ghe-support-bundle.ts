import type { CommandSpec } from '../command-registry.js';
import { supportBundle } from './support-bundle.js';

export const gheSupportBundle: CommandSpec = {
  name: 'ghe-support-bundle',
  description: 'Generate a support bundle (-o, -p PERIOD, -x, -u, -t TICKET); long-running.',
  run: (ctx) => supportBundle(ctx, 'single'),
};
