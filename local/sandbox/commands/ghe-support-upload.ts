import type { CommandContext, CommandProgram, CommandSpec } from '../command-registry.js';
import { formatBytes } from '../format.js';
import { commandOptions, optionValue } from '../getopts.js';
import { MAX_STDIN_UPLOAD, TICKET, uploadToSupport } from './support-upload.js';

const USAGE = `Usage: ghe-support-upload [-h] [-f FILE] [-t TICKET] [-d DESCRIPTION]
Upload a file, or standard input (up to 100 MB), to GitHub Enterprise Support.

  -f FILE          File to upload (default: standard input)
  -t TICKET        Attach the upload to support ticket TICKET
  -d DESCRIPTION   Describe the data
  -h               Show this message`;

function* supportUpload(ctx: CommandContext): CommandProgram {
  const opts = commandOptions(ctx, 'f:t:d:h', USAGE);
  if (typeof opts === 'number') return opts;
  const ticket = optionValue(opts, 't');
  if (ticket !== null && !TICKET.test(ticket)) {
    ctx.printErr(
      `Error: invalid ticket number ${JSON.stringify(ticket)}: expected digits, e.g. 1234567.`,
      USAGE,
    );
    return 1;
  }
  const description = optionValue(opts, 'd');
  const file = optionValue(opts, 'f');
  if (file !== null) {
    const entry = ctx.node.files.get(file);
    if (!entry) {
      ctx.printErr(`Error: ${file}: No such file or directory`);
      return 1;
    }
    return yield* uploadToSupport(ctx, {
      label: file,
      size: entry.size,
      ticket,
      file,
      description,
      content: null,
    });
  }
  if (ctx.stdin === null || ctx.stdin === '') {
    ctx.printErr(
      'Error: nothing to upload: give a file with -f FILE, or pipe the data to standard input.',
      USAGE,
    );
    return 1;
  }
  const size = Buffer.byteLength(ctx.stdin, 'utf8');
  if (size > MAX_STDIN_UPLOAD) {
    ctx.printErr(
      `Error: standard input is ${formatBytes(size)}; at most 100 MB can be uploaded this way. Use -f FILE.`,
    );
    return 1;
  }
  const label = description ? `standard input ("${description}")` : 'standard input';
  return yield* uploadToSupport(ctx, { label, size, ticket, file: null, description, content: ctx.stdin });
}

export const gheSupportUpload: CommandSpec = {
  name: 'ghe-support-upload',
  description: 'Upload a file (-f) or standard input to GitHub Support (-t TICKET, -d DESCRIPTION).',
  run: supportUpload,
};
