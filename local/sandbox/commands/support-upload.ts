import type { CommandContext, CommandProgram } from '../command-registry.js';
import { formatBytes } from '../format.js';

/** GitHub's bundle service; uploads need outbound HTTPS to it. */
const BUNDLE_SERVICE_HOST = 'enterprise-bundles.github.com';
const UPLOAD_FAILED_LINE = `Error: upload failed: could not connect to ${BUNDLE_SERVICE_HOST}`;
/** GitHub Support takes at most 100 MB on standard input. */
export const MAX_STDIN_UPLOAD = 100 * 1024 * 1024;

export interface UploadRequest {
  /** What is sent, for the progress line: `support bundle`, a path, `standard input`. */
  label: string;
  size: number;
  ticket: string | null;
  file: string | null;
  description: string | null;
  content: string | null;
}

/** Sends data to GitHub Support in virtual time; records it, or fails like curl does when the service is unreachable. */
export function* uploadToSupport(ctx: CommandContext, req: UploadRequest): CommandProgram {
  const ticket = req.ticket ? ` (ticket ${req.ticket})` : '';
  ctx.print(`Uploading ${req.label} to GitHub Enterprise Support${ticket} ...`);
  if (ctx.world.faults.uploadBlocked) {
    yield Math.min(30, ctx.world.durations.upload);
    ctx.printErr(
      `curl: (7) Failed to connect to ${BUNDLE_SERVICE_HOST} port 443 after 30001 ms: Couldn't connect to server`,
      UPLOAD_FAILED_LINE,
    );
    return 1;
  }
  yield ctx.world.durations.upload;
  ctx.world.recordUpload({
    appliance: ctx.node.name,
    via: ctx.program,
    ticket: req.ticket,
    file: req.file,
    description: req.description,
    size: req.size,
    content: req.content,
  });
  ctx.print(
    `Upload complete: ${formatBytes(req.size)} sent${req.ticket ? ` and attached to ticket ${req.ticket}` : ''}.`,
  );
  return 0;
}

export const TICKET = /^[0-9]{1,10}$/;
