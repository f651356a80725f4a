import type { S3Client } from '@aws-sdk/client-s3';
import { RawMailUnavailable, type RawMailStore } from '../service-desk/raw-mail.js';
import { awsErrorName, errorMessage } from './aws-error.js';

/** The SDK module, loaded on the first call (shared/aws/wiring.ts). */
const sdk = () => import('@aws-sdk/client-s3');

export { RawMailUnavailable };

/** Raw messages stored by the SES receipt rule's S3 action (object key = prefix + SES messageId). */
export class S3RawMailStore implements RawMailStore {
  constructor(
    private readonly client: S3Client,
    private readonly maxBytes = 40 * 1024 * 1024,
  ) {}

  async get(bucket: string, key: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new (await sdk()).GetObjectCommand({ Bucket: bucket, Key: key }));
      if ((out.ContentLength ?? 0) > this.maxBytes)
        throw new RawMailUnavailable(
          `s3://${bucket}/${key} is ${out.ContentLength} bytes, over ${this.maxBytes}.`,
        );
      if (!out.Body) throw new RawMailUnavailable(`s3://${bucket}/${key} has no body.`);
      return await out.Body.transformToByteArray();
    } catch (err) {
      if (err instanceof RawMailUnavailable) throw err;
      throw new RawMailUnavailable(
        `Reading the raw message s3://${bucket}/${key} failed: ${awsErrorName(err) ?? 'Error'}: ${errorMessage(err)}. ` +
          'Check the receipt rule stores to this bucket and the role may s3:GetObject on it.',
      );
    }
  }

  async put(bucket: string, key: string, body: Uint8Array, contentType: string): Promise<void> {
    try {
      await this.client.send(
        new (await sdk()).PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
        }),
      );
    } catch (err) {
      throw new RawMailUnavailable(
        `Storing s3://${bucket}/${key} failed: ${awsErrorName(err) ?? 'Error'}: ${errorMessage(err)}. ` +
          'Check the role may s3:PutObject under attachments/ in this bucket.',
      );
    }
  }
}
