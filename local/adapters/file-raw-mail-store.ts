import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RawMailUnavailable, type RawMailStore } from '../../shared/service-desk/raw-mail.js';

/**
 * The local twin of the mail bucket: objects under `<dir>/<bucket>/<key>` (mode 0600), or in
 * memory without a directory (tests). Keys are the S3 keys (`inbound/<messageId>`,
 * `attachments/...`); a key that would leave the bucket's directory is refused.
 */
export class FileRawMailStore implements RawMailStore {
  private readonly memory = new Map<string, Uint8Array>();

  constructor(private readonly dir?: string) {}

  private file(bucket: string, key: string): string {
    const base = path.resolve(this.dir ?? '/', bucket);
    const file = path.resolve(base, key);
    if (!/^[a-z0-9.-]{3,63}$/.test(bucket) || !file.startsWith(base + path.sep))
      throw new RangeError(`Invalid bucket or key: ${bucket}/${key}`);
    return file;
  }

  async get(bucket: string, key: string): Promise<Uint8Array> {
    const file = this.file(bucket, key);
    if (!this.dir) {
      const v = this.memory.get(file);
      if (!v) throw new RawMailUnavailable(`No object s3://${bucket}/${key} in the local mail bucket.`);
      return v;
    }
    try {
      return new Uint8Array(await readFile(file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new RawMailUnavailable(`No object s3://${bucket}/${key} in the local mail bucket (${file}).`);
      throw error;
    }
  }

  async put(bucket: string, key: string, body: Uint8Array, _contentType: string): Promise<void> {
    const file = this.file(bucket, key);
    if (!this.dir) {
      this.memory.set(file, body);
      return;
    }
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, body, { mode: 0o600 });
  }
}
