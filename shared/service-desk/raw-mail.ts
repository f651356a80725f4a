import { GhesOpsError } from '../errors.js';

/** Where raw received messages are read from: S3 (the SES receipt rule's S3 action) in AWS. */
export interface RawMailStore {
  get(bucket: string, key: string): Promise<Uint8Array>;
  /** Stores an object (attachments kept beyond the raw message's expiry). */
  put(bucket: string, key: string, body: Uint8Array, contentType: string): Promise<void>;
}

/** A raw message could not be read (missing, too large, no permission). */
export class RawMailUnavailable extends GhesOpsError {
  readonly name = 'RawMailUnavailable';
}
