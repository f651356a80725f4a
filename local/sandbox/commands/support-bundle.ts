import { BUNDLE_STATUS_FILE, textFile, type ApplianceState } from '../appliance-state.js';
import type { CommandContext, CommandProgram } from '../command-registry.js';
import { SESSION_DROP_SECONDS } from '../faults.js';
import { fileTimestamp, formatBytes, humanPeriod, periodDays } from '../format.js';
import { commandOptions, hasFlag, optionValue } from '../getopts.js';
import { TICKET, uploadToSupport } from './support-upload.js';

/**
 * `ghe-support-bundle` and `ghe-cluster-support-bundle` (same flags): generate a bundle in
 * virtual time, writing `running` then `complete` to /tmp/ghe-support-bundle-status, and upload
 * it with -u or -t. With -o the tarball goes to stdout and the progress to stderr.
 */
export type BundleKind = 'single' | 'cluster';

function bundleUsage(program: string): string {
  return `Usage: ${program} [-h] [-o] [-p PERIOD] [-x] [-u] [-t TICKET]
Create a support bundle${program.includes('cluster') ? ' with data from every node of the cluster' : ''}.

  -o           Write the bundle to standard output
  -p PERIOD    Include logs from the last PERIOD, e.g. 2days, 12hours (default: 2days)
  -x           Extended bundle: logs from the last 8 days
  -u           Upload the bundle to GitHub Enterprise Support
  -t TICKET    Upload the bundle and attach it to support ticket TICKET
  -h           Show this message`;
}

const STEPS = [
  'Collecting system information ...',
  'Collecting service status and configuration ...',
  'Collecting GitHub Enterprise Server logs ...',
  'Collecting database and replication diagnostics ...',
  'Compressing support bundle ...',
];

/** Bytes of a node's bundle: about 48 MB plus 3 MB per day of logs. */
function nodeBundleSize(node: ApplianceState, days: number): number {
  return Math.round((48 + 3 * days) * 1024 * 1024) + (node.uuid.charCodeAt(0) % 16) * 4096;
}

export function* supportBundle(ctx: CommandContext, kind: BundleKind): CommandProgram {
  const usage = bundleUsage(ctx.program);
  const opts = commandOptions(ctx, 'op:xut:h', usage);
  if (typeof opts === 'number') return opts;
  const extended = hasFlag(opts, 'x');
  const period = optionValue(opts, 'p') ?? (extended ? '8days' : '2days');
  const human = humanPeriod(period);
  if (human === null) {
    ctx.printErr(
      `Error: invalid period ${JSON.stringify(period)}: expected a number and a unit, e.g. 2days, 12hours.`,
      usage,
    );
    return 1;
  }
  const ticket = optionValue(opts, 't');
  if (ticket !== null && !TICKET.test(ticket)) {
    ctx.printErr(
      `Error: invalid ticket number ${JSON.stringify(ticket)}: expected digits, e.g. 1234567.`,
      usage,
    );
    return 1;
  }
  const upload = ticket !== null || hasFlag(opts, 'u');
  const toStdout = hasFlag(opts, 'o');
  const log = toStdout ? ctx.printErr.bind(ctx) : ctx.print.bind(ctx);

  const node = ctx.node;
  if (node.busy.has('support-bundle')) {
    ctx.printErr(
      `Error: a support bundle is already being generated on ${node.name} (see ${BUNDLE_STATUS_FILE}).`,
    );
    return 1;
  }
  node.busy.add('support-bundle');
  let size: number;
  let path: string | null = null;
  try {
    const d = ctx.world.durations;
    const total = kind === 'cluster' ? d.clusterSupportBundle : d.supportBundle;
    const startedMs = ctx.world.now();
    const startedAt = ctx.world.isoNow();
    node.files.set(BUNDLE_STATUS_FILE, textFile('running\n'));
    const extendedNote = extended && optionValue(opts, 'p') === null ? ' (extended bundle)' : '';
    const days = periodDays(period);
    let nodes: ApplianceState[];

    if (kind === 'single') {
      nodes = [node];
      log(
        `Creating support bundle for ${node.name} (GitHub Enterprise Server ${node.version}) with logs from the last ${human}${extendedNote} ...`,
      );
      for (const [i, step] of STEPS.entries()) {
        log(`  | ${step}`);
        yield total / STEPS.length;
        if (i === 0 && ctx.world.faults.sessionDrop) ctx.world.dropSessionsSoon(node, SESSION_DROP_SECONDS);
      }
    } else {
      const members = node.clusterNodes.map((n) => ctx.world.node(n.hostname) ?? n.hostname);
      log(
        `Creating cluster support bundle for ${members.length} nodes (GitHub Enterprise Server ${node.version}) with logs from the last ${human}${extendedNote} ...`,
      );
      nodes = [];
      for (const member of members) {
        const name = typeof member === 'string' ? member : member.name;
        yield total / (members.length + 1);
        if (typeof member === 'string' || !member.up) {
          ctx.printErr(`Warning: ${name} is unreachable; its data is not in the bundle.`);
          continue;
        }
        nodes.push(member);
        log(`  | ${name}: collected system information, service status, logs and diagnostics`);
      }
      log('  | Compressing cluster support bundle ...');
      yield total / (members.length + 1);
    }

    size = nodes.reduce((sum, n) => sum + nodeBundleSize(n, days), 0);
    const prefix = kind === 'cluster' ? 'cluster-support-bundle' : `github-support-bundle-${node.name}`;
    const file = `/data/user/tmp/${prefix}-${fileTimestamp(startedMs)}.tgz`;
    if (toStdout) {
      ctx.write(
        `\u001f\u008b\u0008\u0000sandbox support bundle ${file.split('/').pop() ?? file} (${size} bytes)\n`,
      );
      log(`Support bundle written to standard output (${formatBytes(size)}).`);
    } else {
      path = file;
      node.files.set(path, { content: `<gzip compressed data, ${size} bytes>`, size });
      log(
        `${kind === 'cluster' ? 'Cluster support bundle' : 'Support bundle'} created: ${path} (${formatBytes(size)})`,
      );
    }
    ctx.world.recordBundle({
      appliance: node.name,
      kind,
      startedAt,
      path,
      period,
      extended,
      nodes: nodes.map((n) => n.name),
      size,
    });
    node.files.set(BUNDLE_STATUS_FILE, textFile('complete\n'));
  } finally {
    node.busy.delete('support-bundle');
  }

  if (!upload) return 0;
  return yield* uploadToSupport(ctx, {
    label: kind === 'cluster' ? 'cluster support bundle' : 'support bundle',
    size,
    ticket,
    file: path,
    description: null,
    content: null,
  });
}
