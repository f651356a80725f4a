import { describe, expect, it } from '@jest/globals';
import { uploadReplStatus } from '../../shared/appliance/ghe.js';
import { command, fixture, manualSandbox, pipe, run } from './helpers.js';

describe('ghe-support-upload', () => {
  it('uploads ghe-repl-status -vv from a pipeline, with its content and size', async () => {
    const { sandbox, clock } = manualSandbox();
    const start = clock.now();
    const result = await run(
      sandbox,
      'ghe-replica',
      uploadReplStatus('1234567', 'Verbose Replication Status'),
    );
    expect(sandbox.commandLog[0]?.line).toBe(
      "ghe-repl-status -vv | ghe-support-upload -t 1234567 -d 'Verbose Replication Status'",
    );
    const vv = fixture('repl-status-healthy-vv.txt');
    expect(result).toEqual({
      status: 'Success',
      exitCode: 0,
      stdout:
        'Uploading standard input ("Verbose Replication Status") to GitHub Enterprise Support (ticket 1234567) ...\n' +
        'Upload complete: 2.5 KB sent and attached to ticket 1234567.\n',
      stderr: '',
    });
    expect(clock.now() - start).toBe(15_000);
    expect(sandbox.uploads).toEqual([
      {
        seq: 1,
        at: '2025-06-02T09:00:15.000Z',
        appliance: 'ghe-replica',
        via: 'ghe-support-upload',
        ticket: '1234567',
        file: null,
        description: 'Verbose Replication Status',
        size: Buffer.byteLength(vv),
        content: vv,
      },
    ]);
  });

  it("the pipeline's exit status is the last stage's (a lagging replica still uploads, exit 0)", async () => {
    const { sandbox } = manualSandbox({ scenario: 'replica-lagging' });
    const result = await run(
      sandbox,
      'ghe-replica',
      pipe(['ghe-repl-status'], ['ghe-support-upload', '-t', '1234567']),
    );
    expect(result.exitCode).toBe(0);
    expect(sandbox.uploads[0]?.content).toBe(fixture('repl-status-lagging.txt'));
  });

  it('uploads a file with -f: the bundle file keeps its size', async () => {
    const { sandbox } = manualSandbox();
    await run(sandbox, 'ghe-primary', command('ghe-support-bundle'));
    const path = sandbox.bundles[0]!.path!;
    const result = await run(
      sandbox,
      'ghe-primary',
      command('ghe-support-upload', '-f', path, '-t', '1234567', '-d', 'bundle'),
    );
    expect(result.stdout).toBe(
      `Uploading ${path} to GitHub Enterprise Support (ticket 1234567) ...\nUpload complete: 54.0 MB sent and attached to ticket 1234567.\n`,
    );
    expect(sandbox.uploads).toEqual([
      expect.objectContaining({
        file: path,
        size: sandbox.bundles[0]!.size,
        content: null,
        description: 'bundle',
      }),
    ]);
  });

  it('fails on a missing file, on nothing to read, and on an empty pipe', async () => {
    const { sandbox } = manualSandbox();
    expect(
      await run(sandbox, 'ghe-primary', command('ghe-support-upload', '-f', '/nope', '-t', '1234567')),
    ).toMatchObject({
      exitCode: 1,
      stderr: 'Error: /nope: No such file or directory\n',
    });
    const none = await run(sandbox, 'ghe-primary', command('ghe-support-upload', '-t', '1234567'));
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('Error: nothing to upload');
    // ghe-repl-status prints nothing on stdout on the primary: the upload gets an empty pipe
    const empty = await run(
      sandbox,
      'ghe-primary',
      pipe(['ghe-repl-status'], ['ghe-support-upload', '-t', '1234567']),
    );
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr).toContain('replica mode is not configured');
    expect(empty.stderr).toContain('Error: nothing to upload');
    expect(sandbox.uploads).toEqual([]);
  });

  it('upload-fails: ghe-support-upload fails too', async () => {
    const { sandbox } = manualSandbox({ scenario: 'upload-fails' });
    const result = await run(sandbox, 'ghe-replica', uploadReplStatus('1234567', 'status'));
    expect(result).toMatchObject({
      status: 'Failed',
      exitCode: 1,
      stderr: fixture('support-upload-fails.stderr.txt'),
    });
    expect(sandbox.uploads).toEqual([]);
  });

  it('the fault can be switched off again', async () => {
    const { sandbox } = manualSandbox({ scenario: 'upload-fails' });
    sandbox.setFault('uploadBlocked', false);
    expect((await run(sandbox, 'ghe-replica', uploadReplStatus('1234567', 'status'))).exitCode).toBe(0);
    expect(sandbox.uploads).toHaveLength(1);
  });
});
