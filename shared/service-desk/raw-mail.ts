/** Where raw received messages are read from: S3 (the SES receipt rule's S3 action) in AWS. */
export interface RawMailStore {
  get(bucket: string, key: string): Promise<Uint8Array>;
}
