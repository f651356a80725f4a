import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Instances, StopResult } from '../compute/instances.js';
import { maskedAwsError } from './aws-error.js';

/**
 * EC2 StopInstances: fencing an unreachable old primary. The EC2 client is ~850 KB minified, more
 * than a function's bundle budget allows on top of the shared code, so it is not bundled
 * (serverless.yml `custom.esbuild.exclude`): it is imported on first use from the Lambda runtime's
 * own SDK v3. Tests pass a client.
 */
export class Ec2Instances implements Instances {
  private client: Promise<EC2Client> | undefined;

  constructor(client?: EC2Client) {
    if (client) this.client = Promise.resolve(client);
  }

  async stop(instanceId: string, opts: { force: boolean }): Promise<StopResult> {
    const sdk = await import('@aws-sdk/client-ec2');
    this.client ??= Promise.resolve(new sdk.EC2Client({}));
    const client = await this.client;
    try {
      const out = await client.send(
        new sdk.StopInstancesCommand({ InstanceIds: [instanceId], Force: opts.force }),
      );
      const s = out.StoppingInstances?.[0];
      return {
        instanceId,
        previousState: s?.PreviousState?.Name ?? 'unknown',
        currentState: s?.CurrentState?.Name ?? 'unknown',
      };
    } catch (err) {
      throw maskedAwsError(err, `EC2 StopInstances ${instanceId} failed`, []);
    }
  }
}
