import type { SSMClient } from '@aws-sdk/client-ssm';
import { ParameterAlreadyExists } from '../errors.js';
import type { ParameterStore, PutOptions } from '../params/parameter-store.js';
import { isAwsError, maskedAwsError } from './aws-error.js';

/** The SDK module, loaded on the first call: never at import, so a cold start stays small (shared/aws/wiring.ts). */
const sdk = () => import('@aws-sdk/client-ssm');

/**
 * SSM Parameter Store. Secrets are SecureString parameters, encrypted with `keyId` (the deployment's
 * customer-managed KMS key, `GHES_OPS_KMS_KEY_ID`) or else the account's `aws/ssm` key, and are
 * always read decrypted. `put` without
 * overwrite is atomic in SSM: concurrent callers get `ParameterAlreadyExists`, so it doubles as a
 * lock. Values never appear in errors.
 */
export class SsmParameterStore implements ParameterStore {
  constructor(
    private readonly client: SSMClient,
    private readonly opts: { keyId?: string } = {},
  ) {}

  async get(name: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new (await sdk()).GetParameterCommand({ Name: name, WithDecryption: true }),
      );
      return out.Parameter?.Value;
    } catch (err) {
      if (isAwsError(err, 'ParameterNotFound')) return undefined;
      throw maskedAwsError(err, `Reading parameter ${name} from SSM failed`, []);
    }
  }

  async put(name: string, value: string, opts: PutOptions): Promise<void> {
    try {
      await this.client.send(
        new (await sdk()).PutParameterCommand({
          Name: name,
          Value: value,
          Type: opts.secure ? 'SecureString' : 'String',
          ...(opts.secure && this.opts.keyId ? { KeyId: this.opts.keyId } : {}),
          Overwrite: opts.overwrite,
        }),
      );
    } catch (err) {
      if (isAwsError(err, 'ParameterAlreadyExists')) {
        throw new ParameterAlreadyExists(
          `Parameter ${name} already exists and was not overwritten (another run may hold it).`,
          { name },
        );
      }
      throw maskedAwsError(err, `Writing parameter ${name} to SSM failed`, [value]);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new (await sdk()).DeleteParameterCommand({ Name: name }));
    } catch (err) {
      if (isAwsError(err, 'ParameterNotFound')) return;
      throw maskedAwsError(err, `Deleting parameter ${name} from SSM failed`, []);
    }
  }
}
