import type { Route53Client } from '@aws-sdk/client-route-53';
import type { Dns, DnsChange, DnsChangeStatus, DnsRecordChange, DnsRecordSet } from '../traffic/dns.js';
import { TrafficCheckFailed, TrafficSwitchFailed } from '../failover/errors.js';
import { awsErrorName, errorMessage } from './aws-error.js';

/** The SDK module, loaded on the first call: never at import, so a cold start stays small (shared/aws/wiring.ts). */
const sdk = () => import('@aws-sdk/client-route-53');

/** Route 53: one UPSERT per change, then GetChange until INSYNC. */
export class Route53Dns implements Dns {
  constructor(private readonly client: Route53Client) {}

  /**
   * ListResourceRecordSets from the name: Route 53 lists record sets in name order, so the sets of
   * one name come first; the rest of the page (other names) is ignored. 100 sets cover every type
   * and routing variant of one name in practice; more are reported as unreadable, not guessed.
   */
  async records(hostedZoneId: string, name: string): Promise<DnsRecordSet[]> {
    const want = bare(name);
    try {
      const out = await this.client.send(
        new (await sdk()).ListResourceRecordSetsCommand({
          HostedZoneId: hostedZoneId,
          StartRecordName: `${want}.`,
          MaxItems: 100,
        }),
      );
      const sets = (out.ResourceRecordSets ?? []).filter((r) => bare(r.Name ?? '') === want);
      if (out.IsTruncated && bare(out.NextRecordName ?? '') === want)
        throw new Error(`more than 100 record sets named ${want}: not supported`);
      return sets.map((r) => ({
        name: want,
        type: r.Type ?? '',
        ...(r.TTL !== undefined ? { ttl: r.TTL } : {}),
        values: (r.ResourceRecords ?? []).map((v) => bare(v.Value ?? '')),
        ...(r.AliasTarget?.DNSName ? { aliasTarget: bare(r.AliasTarget.DNSName) } : {}),
        ...(r.SetIdentifier ? { setIdentifier: r.SetIdentifier } : {}),
      }));
    } catch (err) {
      throw new TrafficCheckFailed(
        `Route 53 could not list the record ${want} in zone ${hostedZoneId}: ${awsErrorName(err) ?? 'Error'}: ${errorMessage(err)}`,
        { awsError: awsErrorName(err) },
      );
    }
  }

  async upsert(change: DnsRecordChange): Promise<DnsChange> {
    const name = change.name.endsWith('.') ? change.name : `${change.name}.`;
    try {
      const out = await this.client.send(
        new (await sdk()).ChangeResourceRecordSetsCommand({
          HostedZoneId: change.hostedZoneId,
          ChangeBatch: {
            Comment: change.comment.slice(0, 256),
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: name,
                  Type: change.type,
                  TTL: change.ttl,
                  ResourceRecords: [{ Value: change.value }],
                },
              },
            ],
          },
        }),
      );
      const info = out.ChangeInfo;
      if (!info?.Id) throw new Error('Route 53 returned no change id');
      return {
        changeId: info.Id.replace(/^\/change\//, ''),
        status: info.Status === 'INSYNC' ? 'INSYNC' : 'PENDING',
        submittedAt: (info.SubmittedAt ?? new Date()).toISOString(),
      };
    } catch (err) {
      throw new TrafficSwitchFailed(
        `Route 53 refused to point ${change.name} (${change.type}) at ${change.value} in zone ${change.hostedZoneId}: ` +
          `${awsErrorName(err) ?? 'Error'}: ${errorMessage(err)}`,
        { awsError: awsErrorName(err) },
      );
    }
  }

  async changeStatus(changeId: string): Promise<DnsChangeStatus> {
    try {
      const out = await this.client.send(new (await sdk()).GetChangeCommand({ Id: changeId }));
      return out.ChangeInfo?.Status === 'INSYNC' ? 'INSYNC' : 'PENDING';
    } catch (err) {
      throw new TrafficSwitchFailed(
        `Route 53 GetChange ${changeId} failed: ${awsErrorName(err) ?? 'Error'}: ${errorMessage(err)}`,
        {
          awsError: awsErrorName(err),
        },
      );
    }
  }
}

/** A DNS name as Route 53 lists it (`Github.Example.com.`) compared as `github.example.com`. */
const bare = (name: string): string => name.replace(/\.$/, '').toLowerCase();

/** Route 53 is a global service: its API endpoint is in us-east-1 whatever the function's region. */
export const ROUTE53_REGION = 'us-east-1';
