import type { EC2Client } from '@aws-sdk/client-ec2';

/**
 * Base of the EC2 adapters: the EC2 client is not bundled (serverless.yml `custom.esbuild.exclude`)
 * and is imported from the Lambda runtime's SDK on first use; tests pass a client.
 */
export abstract class LazyEc2 {
  private client: Promise<EC2Client> | undefined;

  constructor(client?: EC2Client) {
    if (client) this.client = Promise.resolve(client);
  }

  protected async sdk() {
    const sdk = await import('@aws-sdk/client-ec2');
    this.client ??= Promise.resolve(new sdk.EC2Client({}));
    return { sdk, client: await this.client };
  }
}
